// Alerts as code (README, "Operations"): the promises that break silently, watched from outside the app.
// An action group with the operators' e-mail and SMS receivers, and one rule per promise.
param namePrefix string
param location string
param appInsightsId string
param serviceBusNamespaceId string
@description('E-mail addresses that receive every alert.')
param emails string[]
@description('Phone numbers that receive every alert by SMS: { countryCode: \'86\', phoneNumber: \'13800000000\' }.')
param smsNumbers object[]
@description('Escalations waiting unread on the topic for this whole window (an ISO-8601 window size metric alerts accept) raise the "nobody is reading" alert.')
param unreadWindow string
@description('The oldest notice not yet confirmed sent may be this many seconds old.')
param outboxMaxSeconds int
param tags object

// How often every rule looks: the shortest interval both kinds of rule accept, and no longer than any window.
var evaluationFrequency = 'PT1M'

resource operators 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${namePrefix}-operators'
  location: 'Global'
  tags: tags
  properties: {
    groupShortName: take('${namePrefix}ops', 12)
    enabled: true
    emailReceivers: [for (email, i) in emails: {
      name: 'email-${i}'
      emailAddress: email
      useCommonAlertSchema: true
    }]
    smsReceivers: [for (sms, i) in smsNumbers: {
      name: 'sms-${i}'
      countryCode: sms.countryCode
      phoneNumber: sms.phoneNumber
    }]
  }
}

// Log alerts on the app's own metrics (OpenTelemetry → Application Insights customMetrics).
var logRules = [
  {
    name: 'sweep-heartbeat'
    description: 'The sweep has not completed a run for 5 minutes: no deadline is being watched.'
    severity: 0
    query: 'customMetrics | where name == "dispatch.sweep.runs" and tostring(customDimensions.result) == "ok" | summarize runs = count()'
    measure: 'runs'
    operator: 'LessThan'
    threshold: 1
  }
  {
    name: 'outbox-oldest'
    description: 'A committed notice has not been confirmed sent for longer than the limit: escalations are not getting out.'
    severity: 1
    query: 'customMetrics | where name == "dispatch.outbox.oldest_age" | summarize oldest = max(valueMax)'
    measure: 'oldest'
    operator: 'GreaterThan'
    threshold: outboxMaxSeconds
  }
  {
    // requests/failed (a metric) counts every code from 400 up but 401, so a burst of 403/404 from callers would
    // page the operators; the result code says which failures are the server's.
    name: 'http-5xx'
    description: 'The API answered with server errors (5xx): more than 5 in 5 minutes.'
    severity: 1
    query: 'requests | where toint(resultCode) between (500 .. 599) | summarize failures = count()'
    measure: 'failures'
    operator: 'GreaterThan'
    threshold: 5
  }
]

resource logAlerts 'Microsoft.Insights/scheduledQueryRules@2023-03-15-preview' = [for rule in logRules: {
  name: '${namePrefix}-${rule.name}'
  location: location
  tags: tags
  properties: {
    displayName: '${namePrefix}: ${rule.name}'
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [appInsightsId]
    evaluationFrequency: evaluationFrequency
    windowSize: 'PT5M'
    criteria: {
      allOf: [
        {
          query: rule.query
          timeAggregation: 'Total'
          metricMeasureColumn: rule.measure
          operator: rule.operator
          threshold: rule.threshold
          failingPeriods: {
            numberOfEvaluationPeriods: 1
            minFailingPeriodsToAlert: 1
          }
        }
      ]
    }
    actions: {
      actionGroups: [operators.id]
    }
  }
}]

// Metric alerts on the platform's own metrics.
var metricRules = [
  {
    name: 'dead-letters'
    description: 'An escalation was dead-lettered on a subscription of the escalations topic: someone was not told.'
    severity: 0
    scope: serviceBusNamespaceId
    namespace: 'Microsoft.ServiceBus/namespaces'
    metric: 'DeadletteredMessages'
    aggregation: 'Maximum'
    threshold: 0
    window: 'PT5M'
  }
  {
    name: 'unread-escalations'
    description: 'Escalations have waited unread on the escalations topic the whole window: nobody is reading the chief\'s or the command center\'s desk.'
    severity: 1
    scope: serviceBusNamespaceId
    namespace: 'Microsoft.ServiceBus/namespaces'
    metric: 'ActiveMessages'
    aggregation: 'Minimum'
    threshold: 0
    window: unreadWindow
  }
]

resource metricAlerts 'Microsoft.Insights/metricAlerts@2018-03-01' = [for rule in metricRules: {
  name: '${namePrefix}-${rule.name}'
  location: 'global'
  tags: tags
  properties: {
    description: rule.description
    severity: rule.severity
    enabled: true
    scopes: [rule.scope]
    evaluationFrequency: evaluationFrequency
    windowSize: rule.window
    criteria: {
      'odata.type': 'Microsoft.Azure.Monitor.SingleResourceMultipleMetricCriteria'
      allOf: [
        {
          criterionType: 'StaticThresholdCriterion'
          name: rule.name
          metricNamespace: rule.namespace
          metricName: rule.metric
          timeAggregation: rule.aggregation
          operator: 'GreaterThan'
          threshold: rule.threshold
          dimensions: [
            {
              name: 'EntityName'
              operator: 'Include'
              values: ['escalations']
            }
          ]
        }
      ]
    }
    actions: [
      {
        actionGroupId: operators.id
      }
    ]
  }
}]

output actionGroupId string = operators.id
