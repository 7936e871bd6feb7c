/**
 * Checks a `sendMessage` Update must pass before it is accepted. Pure, so the workflow's Update
 * validator and the API can both run it and reject early with the same clear reason.
 */
import type { ChatTemplate } from '../templates';
import type { SendMessageArgs } from './types';

export type RejectionCode =
  | 'session_closed'
  | 'empty_message'
  | 'message_too_long'
  | 'template_mismatch'
  | 'busy'
  | 'invalid_turn_id'
  | 'duplicate_turn';

export class MessageRejection extends Error {
  constructor(
    readonly code: RejectionCode,
    message: string,
  ) {
    super(message);
    this.name = 'MessageRejection';
  }
}

export interface SessionView {
  closing: boolean;
  busy: boolean;
  template: ChatTemplate;
  knownTurnIds: ReadonlySet<string>;
}

const TURN_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Throws `MessageRejection` when the message cannot be accepted. */
export function checkSendMessage(args: SendMessageArgs, session: SessionView): void {
  if (session.closing) throw new MessageRejection('session_closed', 'the chat session is closed');
  if (!TURN_ID.test(args.turnId)) {
    throw new MessageRejection('invalid_turn_id', 'turnId must be 1-128 characters of letters, digits, . _ : -');
  }
  if (session.knownTurnIds.has(args.turnId)) {
    throw new MessageRejection('duplicate_turn', `turn ${args.turnId} was already sent to this session`);
  }
  if (args.template !== undefined && args.template !== session.template.name) {
    throw new MessageRejection(
      'template_mismatch',
      `this chat uses template '${session.template.name}', not '${args.template}'`,
    );
  }
  if (args.content.trim() === '') throw new MessageRejection('empty_message', 'the message is empty');
  if (args.content.length > session.template.max_input_chars) {
    throw new MessageRejection(
      'message_too_long',
      `the message has ${args.content.length} characters; template '${session.template.name}' allows ${session.template.max_input_chars}`,
    );
  }
  const onBusy = args.onBusy ?? session.template.on_busy;
  if (session.busy && onBusy === 'reject') {
    throw new MessageRejection('busy', 'a turn is already running and on_busy is reject');
  }
}
