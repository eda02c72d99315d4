using 'main.bicep'

param namePrefix = 'dispatch'
param location = 'eastasia'
// Each station's chiefs by Entra object id (az ad user show --id <user> --query id -o tsv): they read their own
// station's escalations at the chief's desk and no other station's.
param stations = [
  { code: 'beilin-01', chiefPrincipalIds: [] }
  { code: 'yanta-02', chiefPrincipalIds: [] }
]
// Who reads every station's chief escalations (the catch-all chief subscription).
param allStationsChiefPrincipalIds = []
param policyJson = loadTextContent('policy.json')
// Who is told when a promise breaks (README, "Operations"): replace with your operators before deploying.
param alertEmails = ['dispatch-operators@example.gov']
// The API's app registration (README, "Deploying to Azure", step 1): its application ID URI.
param authAudience = 'api://dispatch-api'
