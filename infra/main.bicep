// Dispatch in Azure: Functions on Flex Consumption, Table Storage, Service Bus, Application Insights,
// and one user-assigned identity with least-privilege roles. Local modules only, so it compiles offline.
targetScope = 'resourceGroup'

@description('Prefix of every resource name: 3-11 lower-case letters and digits, starting with a letter.')
@minLength(3)
@maxLength(11)
param namePrefix string

@description('Azure region for every resource.')
param location string = resourceGroup().location

@description('A station code: 1-32 lower-case letters, digits or "-", starting with a letter or digit (as the API accepts them).')
@minLength(1)
@maxLength(32)
type stationCode = string

@description('Station codes; each gets its own chief subscription (chief-<station>) filtered on station and audience.')
param stations stationCode[] = []

@description('The response policy JSON (README, "Response policy"); delivered to the app as DISPATCH_POLICY.')
param policyJson string

@description('Sweep schedule, NCRONTAB with seconds.')
param sweepSchedule string = '*/5 * * * * *'

@description('Object id of the user the chief\'s desk signs in as; gets Service Bus Data Receiver on the chief subscriptions only. Empty to skip.')
param chiefPrincipalId string = ''

@description('The Entra ID authority whose tokens the API accepts (DISPATCH_AUTH_AUTHORITY); this tenant\'s v2.0 endpoint by default.')
param authAuthority string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('The audience tokens must be for (DISPATCH_AUTH_AUDIENCE): the API app registration\'s application ID URI (api://...) or client id. README, "Deploying to Azure", step 1.')
@minLength(1)
param authAudience string

@description('The board\'s own Entra app registration (a single-page application, redirect URI https://<app>/api/board); empty: board links with tokens only.')
param boardClientId string = ''

@description('The API scope the board asks Entra ID for, e.g. api://dispatch-api/access_as_user.')
param boardScope string = ''

@description('Operators who receive the alerts by e-mail.')
param alertEmails string[] = []

@description('Operators who receive the alerts by SMS: { countryCode: \'86\', phoneNumber: \'13800000000\' }.')
param alertSmsNumbers object[] = []

@description('Minutes escalations may wait unread on the topic before the "nobody is reading" alert.')
@minValue(1)
param unreadAlertMinutes int = 10

@description('Seconds the oldest notice may wait to be confirmed sent before its alert (as DISPATCH_HEALTH_OUTBOX_MAX_AGE).')
@minValue(10)
param outboxAlertSeconds int = 60

@description('.NET version of the isolated worker.')
param dotnetVersion string = '10.0'

var lettersAndDigits = 'abcdefghijklmnopqrstuvwxyz0123456789'
// Characters a name part may not contain: the part with every allowed character removed.
var prefixLeftovers = reduce(split(lettersAndDigits, ''), namePrefix, (rest, c) => replace(rest, c, ''))
var badStations = filter(stations, s => !empty(reduce(split('${lettersAndDigits}-', ''), s, (rest, c) => replace(rest, c, ''))) || startsWith(s, '-'))
var suffix = uniqueString(resourceGroup().id, namePrefix)
var serviceBusConfig = loadJsonContent('servicebus/config.json')

// Bicep cannot match a pattern in a decorator, so a bad value is stopped before anything is created: these
// deployments exist only when a value is wrong, and their names (which no deployment may have: spaces and a
// colon) carry the message, so preflight validation (what-if, validate, create) refuses the whole template.
module invalidNamePrefix 'modules/refuse.bicep' = if (!empty(prefixLeftovers) || !contains('abcdefghijklmnopqrstuvwxyz', take(namePrefix, 1))) {
  name: 'namePrefix must be lower-case letters and digits: ${namePrefix}'
}

module invalidStations 'modules/refuse.bicep' = if (!empty(badStations)) {
  name: 'station codes must be a-z 0-9 or -: ${join(badStations, ' ')}'
}

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
    name: '${namePrefix}${suffix}'
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

module roles 'modules/roles.bicep' = {
  name: 'roles'
  params: {
    appPrincipalId: identity.outputs.principalId
    storageAccountName: storage.outputs.name
    tableNames: [storage.outputs.tableName, storage.outputs.indexTableName]
    serviceBusNamespaceName: serviceBus.outputs.name
    appInsightsName: monitoring.outputs.appInsightsName
    chiefPrincipalId: chiefPrincipalId
    stations: stations
  }
}

// After the roles: a Flex app starts as soon as it exists, and an app that starts before its grants
// fails its first calls to storage and Service Bus with 403.
module functionApp 'modules/functionapp.bicep' = {
  name: 'functionapp'
  dependsOn: [roles]
  params: {
    name: '${namePrefix}-func-${suffix}'
    location: location
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    blobEndpoint: storage.outputs.blobEndpoint
    tableEndpoint: storage.outputs.tableEndpoint
    tableName: storage.outputs.tableName
    deploymentContainerUrl: storage.outputs.deploymentContainerUrl
    serviceBusNamespaceHost: serviceBus.outputs.host
    appInsightsConnectionString: monitoring.outputs.appInsightsConnectionString
    policyJson: policyJson
    sweepSchedule: sweepSchedule
    authAuthority: authAuthority
    authAudience: authAudience
    boardClientId: boardClientId
    boardScope: boardScope
    dotnetVersion: dotnetVersion
  }
}

module alerts 'modules/alerts.bicep' = {
  name: 'alerts'
  params: {
    namePrefix: namePrefix
    location: location
    appInsightsId: monitoring.outputs.appInsightsId
    serviceBusNamespaceId: serviceBus.outputs.id
    emails: alertEmails
    smsNumbers: alertSmsNumbers
    unreadMinutes: unreadAlertMinutes
    outboxMaxSeconds: outboxAlertSeconds
  }
}

output functionAppName string = functionApp.outputs.name
output apiUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output serviceBusNamespace string = serviceBus.outputs.host
