/** Chooses the EventPublisher a configuration names: Pub/Sub when PUBSUB_TOPIC is set (loaded only then), else none. */
import type { Config } from '../config.ts';
import { getNoopPublisher, type EventPublisher } from './event-publisher.ts';

export async function publisherFromConfig(config: Config, service: string): Promise<EventPublisher> {
  if (!config.pubsubTopic) return getNoopPublisher();
  const { getPubSubPublisher } = await import('./pubsub-publisher.ts');
  return getPubSubPublisher({
    projectId: config.projectId ?? 'scenarioforge-local',
    topic: config.pubsubTopic,
    source: `//scenarioforge/${service}`,
  });
}
