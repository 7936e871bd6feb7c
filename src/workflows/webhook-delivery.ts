/**
 * `webhookDelivery` (`webhook:{app_id}:{webhook_id}`): delivers one signed event to the app's
 * webhook, retrying with backoff for up to a day. Started by whoever has news (a pack run that
 * ended) and abandoned by it, so the sender finishes while delivery goes on.
 */
import type { WebhookDeliveryInput } from '../domain/packs';
import type { WebhookDeliveryWorkflow } from './contract';
import { webhooks } from './packs/activities';

export async function webhookDelivery(input: WebhookDeliveryInput): ReturnType<WebhookDeliveryWorkflow> {
  return webhooks.deliverWebhook(input);
}
