/** Chooses the EventPublisher a configuration names: Pub/Sub when PUBSUB_TOPIC is set, else none. */
import type { Config } from '../config.ts';
import { getNoopPublisher, type EventPublisher } from './event-publisher.ts';
import { getPubSubPublisher } from './pubsub-publisher.ts';

export function publisherFromConfig(config: Config, service: string): EventPublisher {
  if (!config.pubsubTopic) return getNoopPublisher();
  return getPubSubPublisher({
    projectId: config.projectId ?? 'scenarioforge-local',
    topic: config.pubsubTopic,
    source: `//scenarioforge/${service}`,
  });
}
