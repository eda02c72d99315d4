// One topic from the emulator config, its subscriptions and their correlation rules.
// Service Bus refuses concurrent changes under one topic (409 "conflicting operation in progress"), so
// every change under it runs one at a time: the subscriptions, then the $Default overrides, then the rules.
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
var filtered = filter(allSubscriptions, s => !empty(s.?Rules ?? []))
var rules = flatten(map(filtered, s => map(s.Rules, rule => {
  subscription: s.Name
  rule: rule
})))
var requiresDuplicateDetection = topic.?Properties.?RequiresDuplicateDetection ?? false

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: namespaceName
}

resource topicResource 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' = {
  parent: namespace
  name: topic.Name
  properties: union(
    {
      defaultMessageTimeToLive: topic.?Properties.?DefaultMessageTimeToLive ?? 'PT1H'
      requiresDuplicateDetection: requiresDuplicateDetection
    },
    requiresDuplicateDetection ? { duplicateDetectionHistoryTimeWindow: topic.Properties.DuplicateDetectionHistoryTimeWindow } : {})
}

@batchSize(1)
resource subscriptionResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' = [for subscription in allSubscriptions: {
  parent: topicResource
  name: subscription.Name
  properties: {
    lockDuration: subscription.?Properties.?LockDuration ?? 'PT1M'
    maxDeliveryCount: subscription.?Properties.?MaxDeliveryCount ?? 3
    defaultMessageTimeToLive: subscription.?Properties.?DefaultMessageTimeToLive ?? 'PT1H'
    deadLetteringOnMessageExpiration: subscription.?Properties.?DeadLetteringOnMessageExpiration ?? false
  }
}]

// A new subscription carries a match-all $Default rule; where correlation rules apply it matches nothing.
@batchSize(1)
resource defaultRules 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for subscription in filtered: {
  name: '${namespaceName}/${topic.Name}/${subscription.Name}/$Default'
  dependsOn: [subscriptionResources]
  properties: {
    filterType: 'SqlFilter'
    sqlFilter: {
      sqlExpression: '1=0'
    }
  }
}]

@batchSize(1)
resource ruleResources 'Microsoft.ServiceBus/namespaces/topics/subscriptions/rules@2024-01-01' = [for item in rules: {
  name: '${namespaceName}/${topic.Name}/${item.subscription}/${item.rule.Name}'
  dependsOn: [defaultRules]
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
