// Deploys nothing. main.bicep includes it only when a parameter is wrong, under a name no deployment may
// have, which makes preflight validation refuse the whole template with that name as the message.
