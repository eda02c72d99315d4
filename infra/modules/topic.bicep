// One topic from the emulator config, its subscriptions and their correlation rules.
param namespaceName string
param topic object
param stations array

var subscriptions = topic.?Subscriptions ?? []
var stationChiefs = [for station in stations: {
  Name: 'chief-${station}'
  Properties: {
    LockDuration: 'PT1M'
    MaxDeliveryCount: 10
    DefaultMessageTimeToLive: 'PT24H'
    DeadLetteringOnMessageExpiration: true
  }
  Rules: [
    {
      Name: 'audience-and-station'
      Properties: {
        FilterType: 'Correlation'
        CorrelationFilter: {
          Properties: {
            audience: 'chief'
            station: station
          }
        }
      }
    }
  ]
}]
var allSubscriptions = concat(subscriptions, stationChiefs)
var rules = flatten(map(range(0, length(allSubscriptions)), i => map(allSubscriptions[i].?Rules ?? [], rule => {
  subscription: i
  rule: rule
})))

resource namespace 'Microsoft.ServiceBus/namespaces@2022-10-01-preview' existing = {
  name: namespaceName
}

resource topicResource 'Microsoft.ServiceBus/namespaces/topics@2022-10-01-preview' = {
  parent: namespace
  name: topic.Name
  properties: {
    defaultMessageTimeToLive: topic.?Properties.?DefaultMessageTimeToLive ?? 'PT1H'
    requiresDuplicateDetection: topic.?Properties.?RequiresDuplicateDetection ?? false
    duplicateDetectionHistoryTimeWindow: topic.?Properties.?DuplicateDetectionHistoryTimeWindow ?? 'PT20S'
  }
}

resource subscriptionResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2022-10-01-preview' = [for subscription in allSubscriptions: {
  parent: topicResource
  name: subscription.Name
  properties: {
    lockDuration: subscription.?Properties.?LockDuration ?? 'PT1M'
    maxDeliveryCount: subscription.?Properties.?MaxDeliveryCount ?? 3
    defaultMessageTimeToLive: subscription.?Properties.?DefaultMessageTimeToLive ?? 'PT1H'
    deadLetteringOnMessageExpiration: subscription.?Properties.?DeadLetteringOnMessageExpiration ?? false
  }
}]

// A new subscription carries a match-all $Default rule; the correlation rule below replaces it.
resource defaultRules 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview' = [for (subscription, i) in allSubscriptions: if (!empty(subscription.?Rules ?? [])) {
  parent: subscriptionResources[i]
  name: '$Default'
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: '1=0'
    }
  }
}]

resource ruleResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2022-10-01-preview' = [for item in rules: {
  parent: subscriptionResources[item.subscription]
  name: item.rule.Name
  properties: {
    filterType: 'CorrelationFilter'
    correlationFilter: {
      properties: item.rule.Properties.CorrelationFilter.?Properties ?? {}
      label: item.rule.Properties.CorrelationFilter.?Label
      correlationId: item.rule.Properties.CorrelationFilter.?CorrelationId
      messageId: item.rule.Properties.CorrelationFilter.?MessageId
      to: item.rule.Properties.CorrelationFilter.?To
      replyTo: item.rule.Properties.CorrelationFilter.?ReplyTo
      sessionId: item.rule.Properties.CorrelationFilter.?SessionId
      replyToSessionId: item.rule.Properties.CorrelationFilter.?ReplyToSessionId
      contentType: item.rule.Properties.CorrelationFilter.?ContentType
    }
  }
}]
