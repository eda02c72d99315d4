// Least-privilege role assignments, each on the narrowest scope that works. Names come from
// guid(scope, principal, role), so redeploying is idempotent. Each description starts with the role's
// official name, which the infra tests look up in infra/roles.json to check the id beside it.
param appPrincipalId string
param storageAccountName string
@description('The app\'s tables: the main one and its due index.')
param tableNames string[]
param serviceBusNamespaceName string
param appInsightsName string
@description('Who reads the catch-all chief subscription.')
param allStationsChiefPrincipalIds array
@description('The stations: { code, chiefPrincipalIds }.')
param stations array

// Built-in role definition ids, from https://learn.microsoft.com/en-us/azure/role-based-access-control/built-in-roles
var storageTableDataContributor = '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var serviceBusDataSender = '69a216fc-b8fb-44d8-bc22-1f3c2cd27a39'
var serviceBusDataReceiver = '4f6d3b9b-027b-4f4c-9142-0e5a2a2247e0'
var monitoringMetricsPublisher = '3913510d-42f4-4e42-8a64-420c390055eb'
// One grant per reader and subscription: each station's chiefs on their own station's subscription only.
var chiefGrants = concat(
  map(allStationsChiefPrincipalIds, principal => { subscription: 'chief', principal: principal }),
  flatten(map(stations, station => map(station.chiefPrincipalIds, principal => { subscription: 'chief-${station.code}', principal: principal }))))

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource table 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' existing = [for name in tableNames: {
  parent: tableService
  name: name
}]

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

resource escalations 'Microsoft.ServiceBus/namespaces/topics@2024-01-01' existing = {
  parent: namespace
  name: 'escalations'
}

resource chiefSubscription 'Microsoft.ServiceBus/namespaces/topics/subscriptions@2024-01-01' existing = [for grant in chiefGrants: {
  parent: escalations
  name: grant.subscription
}]

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// The app's rows: incidents, events, the outbox, the roster and the audit trail; and the due index.
resource tableData 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (name, i) in tableNames: {
  name: guid(table[i].id, appPrincipalId, storageTableDataContributor)
  scope: table[i]
  properties: {
    description: 'Storage Table Data Contributor: the app reads and writes its table ${name}.'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageTableDataContributor)
  }
}]

// The Functions host: the deployment package and the timer's singleton lease live in blobs.
resource blobData 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(account.id, appPrincipalId, storageBlobDataOwner)
  scope: account
  properties: {
    description: 'Storage Blob Data Owner: the Functions host keeps its package and timer leases in blobs.'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
  }
}

// The relay sends escalations; it never receives.
resource sender 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(escalations.id, appPrincipalId, serviceBusDataSender)
  scope: escalations
  properties: {
    description: 'Azure Service Bus Data Sender: the relay sends escalations to their topic.'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataSender)
  }
}

// Telemetry signed in with the app's identity (the component has local authentication off).
resource metricsPublisher 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(appInsights.id, appPrincipalId, monitoringMetricsPublisher)
  scope: appInsights
  properties: {
    description: 'Monitoring Metrics Publisher: the app sends its telemetry to Application Insights with Entra ingestion.'
    principalId: appPrincipalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', monitoringMetricsPublisher)
  }
}

// A chief's desk receives from one chief subscription only, never from another station's, the duty officers' or
// the command center's.
resource receiver 'Microsoft.Authorization/roleAssignments@2022-04-01' = [for (grant, i) in chiefGrants: {
  name: guid(chiefSubscription[i].id, grant.principal, serviceBusDataReceiver)
  scope: chiefSubscription[i]
  properties: {
    description: 'Azure Service Bus Data Receiver: the chief\'s desk reads the ${grant.subscription} subscription.'
    principalId: grant.principal
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', serviceBusDataReceiver)
  }
}]
