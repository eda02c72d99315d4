// Resource logs to the Log Analytics workspace. Platform metrics stay in Azure Monitor, where they are free and
// the alert rules read them; only logs are sent.
param workspaceId string
param siteName string
param storageAccountName string
param serviceBusNamespaceName string

resource site 'Microsoft.Web/sites@2024-04-01' existing = {
  name: siteName
}

resource account 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2023-05-01' existing = {
  parent: account
  name: 'default'
}

resource namespace 'Microsoft.ServiceBus/namespaces@2024-01-01' existing = {
  name: serviceBusNamespaceName
}

// The Functions host's own log (starts, timer runs, failures before the app's code runs).
resource siteLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-workspace'
  scope: site
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'FunctionAppLogs'
        enabled: true
      }
    ]
  }
}

// Who wrote or deleted rows of the incidents and audit tables. Reads are left out: the sweep alone reads the due
// index eight times a second (about 21 million log rows a month), and every read is the app's identity anyway.
resource tableLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-workspace'
  scope: tableService
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'StorageWrite'
        enabled: true
      }
      {
        category: 'StorageDelete'
        enabled: true
      }
    ]
  }
}

// Changes to queues, topics and subscriptions (Service Bus does not log data operations).
resource serviceBusLogs 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'to-workspace'
  scope: namespace
  properties: {
    workspaceId: workspaceId
    logs: [
      {
        category: 'OperationalLogs'
        enabled: true
      }
    ]
  }
}
