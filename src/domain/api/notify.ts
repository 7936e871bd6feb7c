/** HTTP shapes of the notification routes: channels (secrets write-only) and the delivery record. */
import { z } from 'zod';
import { appIdSchema } from '../apps';
import { channelNameSchema, CHANNEL_TYPES, DELIVERY_STATUSES, LOG_CHANNEL, NOTIFY_EVENTS } from '../ops';
import { storableText } from '../text/storable';
import { webhookUrlProblem } from './packs';

export const channelParams = z.strictObject({
  name: channelNameSchema.refine((name) => name !== LOG_CHANNEL, { message: '`log` is the built-in log channel' }),
});

const receiverUrl = storableText()
  .max(2000)
  .superRefine((value, ctx) => {
    const problem = webhookUrlProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: problem });
  })
  .describe('The receiver: an absolute http(s) URL (its host must resolve; private addresses need `allow_private_addresses`)');

const common = {
  enabled: z.boolean().default(true),
  allow_private_addresses: z.boolean().default(false).describe('Allow loopback/private/link-local receivers (refused by default)'),
};

const mailbox = z.email().max(320);

export const channelBody = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('webhook'),
    url: receiverUrl,
    secret: storableText().min(16).max(200).describe('Write-only HMAC key of the Standard Webhooks signature (`whsec_<base64>` is decoded)'),
    ...common,
  }),
  z.strictObject({
    type: z.literal('slack'),
    url: receiverUrl.describe('A Slack-compatible incoming webhook URL'),
    ...common,
  }),
  z.strictObject({
    type: z.literal('email'),
    smtp: z.strictObject({
      host: storableText().min(1).max(253).regex(/^[A-Za-z0-9.:[\]-]+$/, 'a host name or IP address'),
      port: z.number().int().min(1).max(65535).default(587),
      secure: z.boolean().default(false).describe('TLS from the start (port 465); otherwise STARTTLS when offered'),
      require_tls: z.boolean().default(false).describe('Refuse to send without STARTTLS'),
      reject_unauthorized: z.boolean().default(true).describe('Verify the server certificate'),
      user: storableText().min(1).max(320).optional(),
      password: storableText().min(1).max(500).optional().describe('Write-only'),
    }),
    from: mailbox.describe('Sender address'),
    to: z.array(mailbox).min(1).max(20).describe('Recipients (the decider the approve/reject links name)'),
    enabled: z.boolean().default(true),
  }),
]);
export type ChannelBody = z.infer<typeof channelBody>;

export const channelView = z.object({
  name: z.string(),
  type: z.enum(CHANNEL_TYPES),
  enabled: z.boolean(),
  url: z.string().optional(),
  allow_private_addresses: z.boolean().optional(),
  smtp: z.object({ host: z.string(), port: z.number(), secure: z.boolean(), require_tls: z.boolean(), reject_unauthorized: z.boolean(), user: z.string().optional() }).optional(),
  from: z.string().optional(),
  to: z.array(z.string()).optional(),
  secret_set: z.boolean().describe('Whether a secret (webhook key, SMTP password) is stored; it is never returned'),
  updated_at: z.iso.datetime(),
  updated_by: z.string(),
});
export const channelList = z.object({ channels: z.array(channelView) });
export const channelRemoved = z.object({ name: z.string(), removed: z.literal(true) });

export const notificationQuery = z.strictObject({
  app_id: appIdSchema.optional().describe('Admin: one app (default: all); an app key sees only its own'),
  incident_id: z.string().max(300).regex(/^[A-Za-z0-9:_-]+$/, 'an incident id').optional(),
  status: z.enum(DELIVERY_STATUSES).optional(),
  channel: channelNameSchema.optional(),
  limit: z.coerce.number().int().min(1).max(500).default(50),
});

export const notificationView = z.object({
  notification_id: z.string(),
  app_id: z.string(),
  channel: z.string(),
  channel_type: z.enum([...CHANNEL_TYPES, 'log']),
  event: z.enum(NOTIFY_EVENTS),
  incident_id: z.string().optional(),
  rule: z.string(),
  summary: z.string(),
  status: z.enum(DELIVERY_STATUSES),
  attempts: z.number(),
  last_error: z.string().optional(),
  created_at: z.iso.datetime(),
  updated_at: z.iso.datetime(),
  delivered_at: z.iso.datetime().optional(),
});
export const notificationList = z.object({ notifications: z.array(notificationView) });

export const decisionLinkQuery = z.strictObject({ token: z.string().min(1).max(4000) });
