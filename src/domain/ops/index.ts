export * from './policy';
export * from './snapshot';
export * from './rules';
export * from './playbook';
export * from './incident';
export * from './notify';
