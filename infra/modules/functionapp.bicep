// The Functions app on the Flex Consumption plan, .NET isolated, signing in to storage, Service Bus and
// Application Insights with the user-assigned identity (no connection strings, no keys).
param name string
param location string
param identityId string
param identityClientId string
param blobEndpoint string
param tableEndpoint string
param tableName string
param deploymentContainerUrl string
param serviceBusNamespaceHost string
param appInsightsConnectionString string
param policyJson string
param sweepSchedule string
param authAuthority string
param authAudience string
param boardClientId string
param boardScope string
@description('Memory of each instance, MB.')
param instanceMemoryMB int
param maximumInstanceCount int
@description('DISPATCH_HEALTH_UNREAD_MAX_AGE: the same window as the "nobody is reading" alert.')
param unreadMaxAge string
@description('DISPATCH_HEALTH_OUTBOX_MAX_AGE: the same limit as the outbox alert.')
param outboxMaxAge string
param tags object

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${name}-plan'
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identityId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
    }
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: deploymentContainerUrl
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identityId
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
      // The version the app is built for (TargetFramework in Directory.Build.props).
      runtime: {
        name: 'dotnet-isolated'
        version: '10.0'
      }
    }
  }
}

// Set apart from the site so they can use the site's own host name. Flex Consumption sets the worker
// runtime and the package location itself and refuses them as settings (FUNCTIONS_WORKER_RUNTIME,
// FUNCTIONS_EXTENSION_VERSION, WEBSITE_RUN_FROM_PACKAGE, WEBSITE_CONTENT*).
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    // The host's own storage (timer leases): blobs only, with the identity.
    AzureWebJobsStorage__blobServiceUri: blobEndpoint
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identityClientId
    // The app's table: its own setting, so nothing the host or its tooling puts in AzureWebJobsStorage changes it.
    DISPATCH_TABLE_SERVICE_URI: tableEndpoint
    DISPATCH_TABLE: tableName
    ServiceBus__fullyQualifiedNamespace: serviceBusNamespaceHost
    // Which identity DefaultAzureCredential signs in as, for tables and Service Bus.
    AZURE_CLIENT_ID: identityClientId
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsightsConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identityClientId};Authorization=AAD'
    DISPATCH_SWEEP_SCHEDULE: sweepSchedule
    // Every minute: the shift reports go out within a minute of each station's day boundary.
    DISPATCH_REPORT_SCHEDULE: '0 * * * * *'
    DISPATCH_POLICY: policyJson
    DISPATCH_PUBLIC_URL: 'https://${app.properties.defaultHostName}'
    // Only Entra ID tokens: the local issuer is refused outside development, and this is not development.
    DISPATCH_AUTH_AUTHORITY: authAuthority
    DISPATCH_AUTH_AUDIENCE: authAudience
    DISPATCH_BOARD_CLIENT_ID: boardClientId
    DISPATCH_BOARD_SCOPE: boardScope
    DISPATCH_INDEX_SHARDS: '4'
    DISPATCH_REQUEST_BUDGET: 'PT5S'
    DISPATCH_UNAUTHENTICATED_LIMIT: '60'
    DISPATCH_SWEEP_BUDGET: 'PT1M'
    // The limits the alert rules use, from the same parameters, so the health and the alerts agree.
    DISPATCH_HEALTH_OUTBOX_MAX_AGE: outboxMaxAge
    DISPATCH_HEALTH_UNREAD_MAX_AGE: unreadMaxAge
  }
}

output name string = app.name
output defaultHostName string = app.properties.defaultHostName
