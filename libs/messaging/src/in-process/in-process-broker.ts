import { subjectMatches } from '@aoe/contracts';

/** A message as the broker stores it. */
export interface StoredMessage {
  sequence: number;
  subject: string;
  data: Uint8Array;
  headers: Record<string, string>;
}

/** A delivery handed to a member of a consumer group. */
export interface BrokerDelivery {
  message: StoredMessage;
  attempt: number;
  ack: () => void;
  nak: (delayMs: number) => void;
  working: () => void;
}

export interface BrokerOptions {
  /** Messages kept for consumer groups created later (like a stream's limits). */
  retainMessages?: number;
  duplicateWindowMs?: number;
}

type Member = { id: number; capacity: number; inFlight: number; receive(delivery: BrokerDelivery): void };

/**
 * JetStream semantics in one process, for embedded mode: a retained log,
 * durable consumer groups shared by their members (replicas), explicit acks,
 * nak with delay, redelivery after the ack deadline, and publish dedupe by id.
 */
export class InProcessBroker {
  private readonly log: StoredMessage[] = [];
  private readonly groups = new Map<string, ConsumerGroup>();
  private readonly seenIds = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private sequence = 0;
  private closed = false;
  private readonly retain: number;
  private readonly duplicateWindowMs: number;

  constructor(options: BrokerOptions = {}) {
    this.retain = options.retainMessages ?? 10_000;
    this.duplicateWindowMs = options.duplicateWindowMs ?? 120_000;
  }

  publish(subject: string, data: Uint8Array, headers: Record<string, string>, id: string): { duplicate: boolean } {
    if (this.closed) throw new Error('the in-process bus is closed');
    const now = Date.now();
    const seenAt = this.seenIds.get(id);
    if (seenAt !== undefined && now - seenAt < this.duplicateWindowMs) return { duplicate: true };
    this.seenIds.set(id, now);
    this.forgetOldIds(now);
    const message: StoredMessage = { sequence: ++this.sequence, subject, data, headers };
    this.log.push(message);
    if (this.log.length > this.retain) this.log.shift();
    for (const group of this.groups.values()) {
      if (subjectMatches(group.filterSubject, subject)) group.enqueue(message, 1);
    }
    return { duplicate: false };
  }

  /** The durable group `name`; created on first use with the retained messages it matches. */
  group(name: string, filterSubject: string, ackWaitMs: number): ConsumerGroup {
    let group = this.groups.get(name);
    if (!group) {
      group = new ConsumerGroup(filterSubject, ackWaitMs, this);
      for (const message of this.log) if (subjectMatches(filterSubject, message.subject)) group.enqueue(message, 1);
      this.groups.set(name, group);
    } else if (group.filterSubject !== filterSubject) {
      throw new Error(`consumer ${name} filters "${group.filterSubject}", not "${filterSubject}"`);
    }
    return group;
  }

  /** Runs `fn` after `ms` unless the broker closes first. */
  schedule(ms: number, fn: () => void): NodeJS.Timeout {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(timer);
    return timer;
  }

  cancel(timer: NodeJS.Timeout | undefined): void {
    if (!timer) return;
    clearTimeout(timer);
    this.timers.delete(timer);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  private forgetOldIds(now: number): void {
    if (this.seenIds.size < 10_000) return;
    for (const [id, at] of this.seenIds) if (now - at >= this.duplicateWindowMs) this.seenIds.delete(id);
  }
}

/** One durable consumer: its pending messages and the members that share them. */
export class ConsumerGroup {
  private readonly ready: Array<{ message: StoredMessage; attempt: number }> = [];
  private readonly members: Member[] = [];
  private nextMember = 0;
  private nextMemberId = 0;
  private readonly held = new Map<number, Set<() => void>>();

  constructor(
    readonly filterSubject: string,
    private readonly ackWaitMs: number,
    private readonly broker: InProcessBroker,
  ) {}

  enqueue(message: StoredMessage, attempt: number): void {
    this.ready.push({ message, attempt });
    this.pump();
  }

  join(capacity: number, receive: (delivery: BrokerDelivery) => void): number {
    const member: Member = { id: ++this.nextMemberId, capacity, inFlight: 0, receive };
    this.members.push(member);
    this.held.set(member.id, new Set());
    this.pump();
    return member.id;
  }

  /** A member that stops taking messages; the ones it holds stay with it until settled. */
  leave(memberId: number): void {
    const index = this.members.findIndex((m) => m.id === memberId);
    if (index >= 0) this.members.splice(index, 1);
  }

  /** A member that died: whatever it held goes back to the group at once. */
  crash(memberId: number): void {
    this.leave(memberId);
    for (const release of this.held.get(memberId) ?? []) release();
    this.held.delete(memberId);
  }

  private pump(): void {
    while (this.ready.length > 0) {
      const member = this.pickMember();
      if (!member) return;
      const next = this.ready.shift()!;
      this.deliver(member, next.message, next.attempt);
    }
  }

  private pickMember(): Member | undefined {
    for (let i = 0; i < this.members.length; i++) {
      const member = this.members[(this.nextMember + i) % this.members.length];
      if (member.inFlight < member.capacity) {
        this.nextMember = (this.nextMember + i + 1) % this.members.length;
        return member;
      }
    }
    return undefined;
  }

  private deliver(member: Member, message: StoredMessage, attempt: number): void {
    member.inFlight++;
    let settled = false;
    let deadline: NodeJS.Timeout | undefined;
    const held = this.held.get(member.id)!;
    const settle = (redeliverAfterMs: number | undefined): void => {
      if (settled) return;
      settled = true;
      this.broker.cancel(deadline);
      held.delete(abandon);
      member.inFlight--;
      if (redeliverAfterMs !== undefined) {
        this.broker.schedule(redeliverAfterMs, () => this.enqueue(message, attempt + 1));
      }
      this.pump();
    };
    const abandon = (): void => settle(0);
    const armDeadline = (): void => {
      this.broker.cancel(deadline);
      deadline = this.broker.schedule(this.ackWaitMs, abandon);
    };
    held.add(abandon);
    armDeadline();
    member.receive({
      message,
      attempt,
      ack: () => settle(undefined),
      nak: (delayMs) => settle(delayMs),
      working: () => {
        if (!settled) armDeadline();
      },
    });
  }
}
