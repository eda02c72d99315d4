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

@description('A Microsoft Entra object id: az ad user show --id <user> --query id -o tsv.')
@minLength(36)
@maxLength(36)
type objectId = string

type station = {
  @description('The station code, as the API accepts it.')
  code: stationCode

  @description('Who reads this station\'s chief subscription (chief-<code>) at the chief\'s desk: each gets Service Bus Data Receiver on that subscription only, and so hears of no other station\'s escalations.')
  chiefPrincipalIds: objectId[]
}

@description('The stations; each gets its own chief subscription (chief-<code>), filtered on station and audience, readable by that station\'s chiefs only.')
param stations station[] = []

@description('Who reads the catch-all chief subscription (chief), which carries every station\'s chief escalations: e.g. a district commander. Empty: nobody.')
param allStationsChiefPrincipalIds objectId[] = []

@description('The response policy JSON (README, "Response policy"); delivered to the app as DISPATCH_POLICY.')
param policyJson string

@description('Sweep schedule, NCRONTAB with seconds. Every second: a deadline reaches the chief within about a second. Its cost is in README, "Deploying to Azure".')
param sweepSchedule string = '* * * * * *'

@description('The Entra ID authority whose tokens the API accepts (DISPATCH_AUTH_AUTHORITY); this tenant\'s v2.0 endpoint by default.')
param authAuthority string = '${environment().authentication.loginEndpoint}${tenant().tenantId}/v2.0'

@description('The audience tokens must be for (DISPATCH_AUTH_AUDIENCE): the API app registration\'s application ID URI (api://...) or client id. README, "Deploying to Azure", step 1.')
@minLength(1)
param authAudience string

@description('The board\'s own Entra app registration (a single-page application, redirect URI https://<app>/api/board); empty: board links with tokens only.')
param boardClientId string = ''

@description('The API scope the board asks Entra ID for, e.g. api://dispatch-api/access_as_user.')
param boardScope string = ''

type smsNumber = {
  @description('Country calling code without "+", e.g. 86.')
  countryCode: string

  @description('The number without the country code, e.g. 13800000000.')
  phoneNumber: string
}

@description('Operators who receive the alerts by e-mail.')
param alertEmails string[] = []

@description('Operators who receive the alerts by SMS.')
param alertSmsNumbers smsNumber[] = []

@description('True when the alerts reach people another way (an alert processing rule adding your own action group). Without it, a deployment whose alerts would reach nobody is refused.')
param alertsRoutedElsewhere bool = false

@description('How long escalations may wait unread on the escalations topic before the "nobody is reading" alert; also the detailed health\'s limit (DISPATCH_HEALTH_UNREAD_MAX_AGE). Only the window sizes Azure metric alerts accept.')
@allowed([
  'PT1M'
  'PT5M'
  'PT15M'
  'PT30M'
  'PT1H'
  'PT6H'
  'PT12H'
  'P1D'
])
param unreadAlertWindow string = 'PT15M'

@description('Seconds the oldest notice may wait to be confirmed sent before its alert; also the detailed health\'s limit (DISPATCH_HEALTH_OUTBOX_MAX_AGE, at most a day).')
@minValue(10)
@maxValue(86400)
param outboxAlertSeconds int = 60

@description('Memory of each Flex Consumption instance, MB. The sweep\'s instance is billed at this size for every second it runs (README, "Deploying to Azure").')
@allowed([
  512
  2048
  4096
])
param instanceMemoryMB int = 2048

@description('Most instances the app scales out to.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Replication of the storage account that holds incidents and the audit trail. Empty: zone-redundant where the region has availability zones (infra/zone-regions.json), locally redundant elsewhere.')
@allowed([
  ''
  'Standard_LRS'
  'Standard_ZRS'
  'Standard_GRS'
  'Standard_GZRS'
  'Standard_RAGRS'
  'Standard_RAGZRS'
])
param storageSku string = ''

@description('A CanNotDelete lock on the storage account that holds incidents and the audit trail. Creating it needs Owner or User Access Administrator; set false only in test resource groups.')
param lockStorage bool = true

@description('Tags on every resource that takes them.')
param tags object = {
  application: 'dispatch'
}

var lettersAndDigits = 'abcdefghijklmnopqrstuvwxyz0123456789'
// Characters a name part may not contain: the part with every allowed character removed.
var prefixLeftovers = reduce(split(lettersAndDigits, ''), namePrefix, (rest, c) => replace(rest, c, ''))
var stationCodes = map(stations, s => s.code)
var badStations = filter(stationCodes, s => !empty(reduce(split('${lettersAndDigits}-', ''), s, (rest, c) => replace(rest, c, ''))) || startsWith(s, '-'))
var principalIds = concat(allStationsChiefPrincipalIds, flatten(map(stations, s => s.chiefPrincipalIds)))
var badPrincipalIds = filter(principalIds, id => !empty(reduce(split('0123456789abcdefABCDEF-', ''), id, (rest, c) => replace(rest, c, ''))))
var suffix = uniqueString(resourceGroup().id, namePrefix)
var serviceBusConfig = loadJsonContent('servicebus/config.json')
// Resource Manager allows no variables in a parameter's default, so the automatic choice is made here.
var zoneRegions = loadJsonContent('zone-regions.json').regions
var storageSkuName = !empty(storageSku) ? storageSku : (contains(zoneRegions, location) ? 'Standard_ZRS' : 'Standard_LRS')

// Bicep cannot match a pattern in a decorator, so a bad value is stopped before anything is created: these
// deployments exist only when a value is wrong, and their names (which no deployment may have: spaces and a
// colon) carry the message, so preflight validation (what-if, validate, create) refuses the whole template.
module invalidNamePrefix 'modules/refuse.bicep' = if (!empty(prefixLeftovers) || !contains('abcdefghijklmnopqrstuvwxyz', take(namePrefix, 1))) {
  name: 'namePrefix must be lower-case letters and digits: ${namePrefix}'
}

module invalidStations 'modules/refuse.bicep' = if (!empty(badStations)) {
  name: 'station codes must be a-z 0-9 or -: ${join(badStations, ' ')}'
}

module invalidPrincipalIds 'modules/refuse.bicep' = if (!empty(badPrincipalIds)) {
  name: 'chief object ids must be GUIDs: ${join(badPrincipalIds, ' ')}'
}

// Alert rules that reach nobody would pass silently: a deployment must name a receiver or say where alerts go.
// (The condition in the name only keeps it from being a constant, which Bicep would check and refuse at build.)
var alertsReachNobody = empty(alertEmails) && empty(alertSmsNumbers) && !alertsRoutedElsewhere
module noAlertReceivers 'modules/refuse.bicep' = if (alertsReachNobody) {
  name: '${alertsReachNobody ? 'alerts reach nobody' : 'alerts'}: set alertEmails or alertSmsNumbers'
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  params: {
    name: '${namePrefix}-id-${suffix}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    namePrefix: namePrefix
    suffix: suffix
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: '${namePrefix}${suffix}'
    location: location
    sku: storageSkuName
    lock: lockStorage
    tags: tags
  }
}

module serviceBus 'modules/servicebus.bicep' = {
  name: 'servicebus'
  params: {
    name: '${namePrefix}-sb-${suffix}'
    location: location
    topics: serviceBusConfig.UserConfig.Namespaces[0].Topics
    queues: serviceBusConfig.UserConfig.Namespaces[0].Queues
    stations: stationCodes
    tags: tags
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
    allStationsChiefPrincipalIds: allStationsChiefPrincipalIds
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
    instanceMemoryMB: instanceMemoryMB
    maximumInstanceCount: maximumInstanceCount
    unreadMaxAge: unreadAlertWindow
    outboxMaxAge: 'PT${outboxAlertSeconds}S'
    tags: tags
  }
}

// Resource logs to the workspace: the app's host, writes and deletes on the tables, Service Bus management.
module diagnostics 'modules/diagnostics.bicep' = {
  name: 'diagnostics'
  params: {
    workspaceId: monitoring.outputs.workspaceId
    siteName: functionApp.outputs.name
    storageAccountName: storage.outputs.name
    serviceBusNamespaceName: serviceBus.outputs.name
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
    unreadWindow: unreadAlertWindow
    outboxMaxSeconds: outboxAlertSeconds
    tags: tags
  }
}

output functionAppName string = functionApp.outputs.name
output apiUrl string = 'https://${functionApp.outputs.defaultHostName}/api'
output serviceBusNamespace string = serviceBus.outputs.host
