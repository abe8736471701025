/**
 * The Pub/Sub adapter of the EventPublisher port (DESIGN §6), on the real
 * `@google-cloud/pubsub` client. One message per event: data = the event's
 * JSON line, `orderingKey` = runId, attributes = routing fields plus the
 * CloudEvents Pub/Sub binding (binary mode, `ce-*` attributes).
 *
 * An ordered publish that fails pauses its ordering key in the client until
 * `resumePublishing(key)`; a failed call resumes the key before rejecting, so
 * the outbox's next attempt is not refused forever.
 *
 * `PUBSUB_EMULATOR_HOST` is honoured by the client itself; `apiEndpoint`
 * overrides it.
 */
import { PubSub, type ClientConfig, type Topic } from '@google-cloud/pubsub';
import { serializeEvent, type StoredEvent } from '../domain/events.ts';
import { PublishFailedError, type EventPublisher, type PublishContext } from './event-publisher.ts';

export interface PubSubPublisherOptions {
  projectId: string;
  /** Topic id (`progress`) or full name (`projects/P/topics/progress`). */
  topic: string;
  /** CloudEvents `source`, e.g. `//scenarioforge/job-runner`. */
  source: string;
  /** `host:port` of an emulator or private endpoint; default: `PUBSUB_EMULATOR_HOST`, else Google. */
  apiEndpoint?: string;
  /** Give up on one publish after this long (the client's retries included). Default 60 s. */
  timeoutMs?: number;
  /** Client batching; defaults are the client's (100 messages / 1 MiB / 10 ms). */
  batching?: { maxMessages?: number; maxMilliseconds?: number };
  /** A client to share (its lifetime stays the caller's); default: one of our own, closed by `close()`. */
  client?: PubSub;
}

export interface PubSubPublisher extends EventPublisher {
  readonly kind: 'pubsub';
  /** Full topic name, `projects/P/topics/T`. */
  readonly topicName: string;
}

/** The message attributes of one event (all strings, as Pub/Sub requires). */
export function eventAttributes(ctx: PublishContext, event: StoredEvent, source: string): Record<string, string> {
  const attributes: Record<string, string> = {
    runId: ctx.runId,
    tenant: ctx.tenant,
    type: event.type,
    seq: String(event.seq),
    runStatus: ctx.runStatus,
    'ce-specversion': '1.0',
    'ce-id': event.id,
    'ce-type': event.type,
    'ce-source': source,
    'ce-subject': ctx.runId,
    'content-type': 'application/json',
  };
  // CloudEvents `time` must be an RFC 3339 timestamp; an upcast event may have none.
  if (event.at !== '') attributes['ce-time'] = event.at;
  return attributes;
}

/** The message body of one event: its log line without the newline. */
export function eventData(event: StoredEvent): Buffer {
  return Buffer.from(serializeEvent(event).slice(0, -1), 'utf8');
}

/**
 * Client options for a project and an optional endpoint (default `PUBSUB_EMULATOR_HOST`).
 * Against an emulator the client is told so outright, with the default universe
 * domain: otherwise it looks for Application Default Credentials (probing the GCE
 * metadata server) just to check a universe domain an emulator does not need.
 */
export function pubSubClientConfig(projectId: string, apiEndpoint?: string): ClientConfig {
  const endpoint = apiEndpoint || process.env.PUBSUB_EMULATOR_HOST || '';
  const host = endpoint.replace(/^https?:\/\//, '').split(/[:/]/)[0] ?? '';
  if (endpoint === '') return { projectId };
  if (host.endsWith('.googleapis.com')) return { projectId, apiEndpoint: endpoint };
  return { projectId, apiEndpoint: endpoint, emulatorMode: true, universeDomain: 'googleapis.com' };
}

export function getPubSubPublisher(options: PubSubPublisherOptions): PubSubPublisher {
  const ownClient = options.client === undefined;
  const pubsub = options.client ?? new PubSub(pubSubClientConfig(options.projectId, options.apiEndpoint));
  const topic: Topic = pubsub.topic(options.topic, {
    messageOrdering: true,
    gaxOpts: { timeout: options.timeoutMs ?? 60_000 },
    ...(options.batching ? { batching: options.batching } : {}),
  });
  let closed = false;

  return {
    kind: 'pubsub',
    get topicName() {
      return topic.name;
    },

    async publish(ctx, events) {
      if (closed) throw new PublishFailedError('publisher is closed');
      if (events.length === 0) return;
      // Queue every message synchronously so they share batches and keep their order.
      const sends = events.map((event) =>
        topic.publishMessage({
          data: eventData(event),
          orderingKey: ctx.runId,
          attributes: eventAttributes(ctx, event, options.source),
        }),
      );
      // Wait for every outcome: once one fails the client rejects the rest of the key's queue.
      const outcomes = await Promise.allSettled(sends);
      const firstFailure = outcomes.findIndex((o) => o.status === 'rejected');
      if (firstFailure < 0) return;
      topic.resumePublishing(ctx.runId);
      const failure = outcomes[firstFailure] as PromiseRejectedResult;
      const reason: unknown = failure.reason;
      const message = reason instanceof Error ? reason.message : String(reason);
      throw new PublishFailedError(`publishing ${events.length} event(s) of run ${ctx.runId} to ${topic.name} failed: ${message}`, {
        cause: reason,
        acknowledged: firstFailure,
      });
    },

    async close() {
      if (closed) return;
      closed = true;
      try {
        await topic.flush();
      } finally {
        if (ownClient) await pubsub.close();
      }
    },
  };
}
