// Dispatch in Azure: Functions on Flex Consumption, Table Storage, Service Bus, Application Insights,
// and one user-assigned identity with least-privilege roles. Local modules only, so it compiles offline.
targetScope = 'resourceGroup'

@description('Prefix of every resource name (letters and digits, 3-11 characters).')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('Station codes; each gets its own chief subscription (chief-<station>) filtered on station and audience.')
param stations array = []

@description('The response policy JSON (README, "Response policy"); delivered to the app as DISPATCH_POLICY.')
param policyJson string

@description('Sweep schedule, NCRONTAB with seconds.')
param sweepSchedule string = '*/5 * * * * *'

@description('Object id of the principal the chief\'s desk signs in as; gets Service Bus Data Receiver on the escalations topic. Empty to skip.')
param chiefPrincipalId string = ''

@description('.NET version of the isolated worker.')
param dotnetVersion string = '10.0'

var suffix = uniqueString(resourceGroup().id, namePrefix)
var serviceBusConfig = loadJsonContent('servicebus/config.json')

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${namePrefix}-id-${suffix}'
    location: location
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: toLower('${namePrefix}${suffix}')
    location: location
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: '${namePrefix}-sb-${suffix}'
    location: location
    topics: serviceBusConfig.UserConfig.Namespaces[0].Topics
    queues: serviceBusConfig.UserConfig.Namespaces[0].Queues
    stations: stations
  }
}

module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  params: {
    name: '${namePrefix}-func-${suffix}'
    location: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storage.outputs.name
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusNamespaceHost: serviceBus.outputs.host
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    policyJson: policyJson
    sweepSchedule: sweepSchedule
    dotnetVersion: dotnetVersion
  }
}

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
    chiefPrincipalId: chiefPrincipalId
  }
}

output functionAppName string = functionApp.outputs.name
output apiUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output serviceBusNamespace string = serviceBus.outputs.host
