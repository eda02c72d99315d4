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
