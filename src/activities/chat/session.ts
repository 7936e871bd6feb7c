/** Opening and closing a chat session's document. */
import { eventIds, type CloseSessionArgs, type OpenSessionArgs, type SessionSnapshot } from '../../domain/chat';
import type { ChatActivityContext } from './context';

export function sessionActivities(ctx: ChatActivityContext) {
  return {
    /** Creates the session document, or returns the existing one (reopened if it had closed for
     * inactivity), with the next free message seq. */
    async openSession(args: OpenSessionArgs): Promise<SessionSnapshot> {
      const { chats } = ctx.repos(args.appId);
      const opened = await chats.openSession({
        chatId: args.chatId,
        userId: args.userId,
        template: args.template,
        now: ctx.now(),
      });
      let session = opened.session;
      if (await chats.reopenAfterInactivity(args.chatId, ctx.now())) {
        session = (await chats.getSession(args.chatId)) ?? session;
      }
      // `next_seq` is raised when a turn begins; the turn's later messages may have gone past it.
      const [newest] = await chats.transcript(args.chatId, { last: 1 });
      const nextSeq = Math.max(session.next_seq, (newest?.seq ?? 0) + 1);
      // Appended on every open, not only on creation: the id makes it a no-op once written, and a
      // worker that died between the upsert and the audit write still gets it written on retry.
      await ctx.audit(args, {
        eventId: eventIds.audit('create', 'chat_session', args.appId, args.chatId),
        actor: args.actor,
        action: 'create',
        resource: { type: 'chat_session', id: args.chatId },
        at: session.created_at,
        details: { user_id: session.user_id, template: session.template },
      });
      return {
        status: session.status,
        ...(session.closed_reason !== undefined ? { closedReason: session.closed_reason } : {}),
        nextSeq,
        // Where the workflow's turn numbering resumes: every turn counted in, failed ones too.
        turnCount: session.last_turn_number ?? session.turn_count,
        totals: session.totals,
      };
    },

    async closeSession(args: CloseSessionArgs): Promise<void> {
      const { chats } = ctx.repos(args.appId);
      await chats.closeSession(args.chatId, args.reason, ctx.now());
      const session = await chats.getSession(args.chatId);
      // Keyed by the moment the session closed, so a retry repeats neither event nor audit entry.
      const closedAt = session?.closed_at ?? ctx.now();
      const closedKey = session?.closed_at ? String(closedAt.getTime()) : 'no-session';
      const reason = session?.closed_reason ?? args.reason;
      await ctx.events.publishOnce(args, `session.closed:${closedKey}`, {
        type: 'session.closed',
        data: { reason },
      });
      await ctx.audit(args, {
        eventId: eventIds.audit('update', 'chat_session', args.appId, args.chatId, 'closed', closedKey),
        actor: args.actor,
        action: 'update',
        resource: { type: 'chat_session', id: args.chatId },
        at: closedAt,
        details: { status: 'closed', reason },
      });
    },
  };
}
