// Table Storage for incidents, and the blob container Flex Consumption deploys the app package from.
// Shared-key access is off: everything signs in with the app's identity.
param name string
param location string
@description('Replication, e.g. Standard_ZRS.')
param sku string
@description('Put a CanNotDelete lock on the account.')
param lock bool
param tags object

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: sku
  }
  properties: {
    allowSharedKeyAccess: false
    allowBlobPublicAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    defaultToOAuthAuthentication: true
  }
}

// The account holds every incident and the audit trail: deleting it takes removing this lock first, on purpose.
// A lock stops the account being deleted, not rows: the app's own rules decide what a row may become.
resource keep 'Microsoft.Authorization/locks@2020-05-01' = if (lock) {
  name: 'keep-incidents-and-audit-trail'
  scope: account
  properties: {
    level: 'CanNotDelete'
    notes: 'Holds every incident and the audit trail of who did what (README, "Deploying to Azure").'
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: account
  name: 'default'
}

resource deployments 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: 'app-package'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' = {
  parent: account
  name: 'default'
}

// The rows the app keeps live in these two tables (README, "State in tables"), so its role is scoped to them.
resource incidents 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tables
  name: 'incidents'
}

// The due index: the app names it after the main table (DISPATCH_TABLE + 'due').
resource dueIndex 'Microsoft.Storage/storageAccounts/tableServices/tables@2023-05-01' = {
  parent: tables
  name: '${incidents.name}due'
}

output name string = account.name
output tableName string = incidents.name
output indexTableName string = dueIndex.name
output blobEndpoint string = account.properties.primaryEndpoints.blob
output tableEndpoint string = account.properties.primaryEndpoints.table
output deploymentContainerUrl string = '${account.properties.primaryEndpoints.blob}${deployments.name}'
