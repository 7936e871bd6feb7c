// Every workflow type the tessera-chat worker runs; one workflow per file.
export { chatSession } from './chat-session';
export { hourlyEtl } from './hourly-etl';
export { dailyAggregation } from './daily-aggregation';
export { etlBackfill } from './etl-backfill';
export { packRun } from './pack-run';
export { packStep } from './pack-step';
export { webhookDelivery } from './webhook-delivery';
export { opsMonitor } from './ops-monitor';
export { remediation } from './remediation';
export { notificationDelivery } from './notification-delivery';
