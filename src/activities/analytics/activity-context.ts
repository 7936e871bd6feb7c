/** The running activity's context, or none when the code runs outside one (benchmarks, tools). */
import { Context } from '@temporalio/activity';

export function activityContext(): Context | undefined {
  try {
    return Context.current();
  } catch {
    return undefined;
  }
}
