using 'main.bicep'

param namePrefix = 'dispatch'
param location = 'eastasia'
param stations = [
  'beilin-01'
  'yanta-02'
]
param policyJson = loadTextContent('policy.json')
param sweepSchedule = '*/5 * * * * *'
param chiefPrincipalId = ''
// The API's app registration (README, "Deploying to Azure", step 1): its application ID URI.
param authAudience = 'api://dispatch-api'
