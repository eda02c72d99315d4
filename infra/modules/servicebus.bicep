// The Service Bus namespace, generated from infra/servicebus/config.json (the file the local broker and
// the official emulator read), so the three never disagree. Per-station chief subscriptions are added.
param name string
param location string
param topics array
param queues array
param stations array
param tags object

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
    tier: 'Standard'
  }
  properties: {
    minimumTlsVersion: '1.2'
    disableLocalAuth: true
  }
}

// A property the config leaves out is left out here too, so Service Bus's own default applies; a window is
// only sent with duplicate detection on, and then the config must give it (no silent fallback).
resource queueResources 'Microsoft.ServiceBus/namespaces/queues@2024-01-01' = [for queue in queues: {
  parent: namespace
  name: queue.Name
  properties: union(
    {
      lockDuration: queue.?Properties.?LockDuration ?? 'PT1M'
      maxDeliveryCount: queue.?Properties.?MaxDeliveryCount ?? 3
      defaultMessageTimeToLive: queue.?Properties.?DefaultMessageTimeToLive ?? 'PT1H'
      deadLetteringOnMessageExpiration: queue.?Properties.?DeadLetteringOnMessageExpiration ?? false
      requiresDuplicateDetection: queue.?Properties.?RequiresDuplicateDetection ?? false
    },
    (queue.?Properties.?RequiresDuplicateDetection ?? false) ? { duplicateDetectionHistoryTimeWindow: queue.Properties.DuplicateDetectionHistoryTimeWindow } : {})
}]

module topicResources 'topic.bicep' = [for topic in topics: {
  name: 'topic-${topic.Name}'
  params: {
    namespaceName: namespace.name
    topic: topic
    stations: topic.Name == 'escalations' ? stations : []
  }
}]

output name string = namespace.name
output id string = namespace.id
output host string = '${namespace.name}.servicebus.windows.net'
