namespace Dispatch.Core.Tests;

/// <summary>The policy document the README documents, equal to the built-in defaults: what the policy tests edit.</summary>
internal static class PolicyDocuments
{
    public const string Documented = """
        { "version": "2026-11",
          "timeZone": "Asia/Shanghai",
          "priorities": {
            "P1": { "dispatch": "PT1M", "arrival": "PT5M", "resolution": "PT2H" },
            "P2": { "dispatch": "PT3M", "arrival": "PT10M", "resolution": "PT8H" },
            "P3": { "dispatch": "PT15M", "arrival": "PT30M", "resolution": "P3D" },
            "P4": { "dispatch": "PT1H", "arrival": "PT24H", "resolution": "P7D",
                    "zones": { "urban": 1, "suburban": 1, "rural": 1 } } },
          "zones": { "urban": 1, "suburban": 2, "rural": 3 },
          "warnAt": [0.5, 0.75],
          "escalation": [ { "level": 1, "after": "PT0S",  "to": "duty-officer" },
                          { "level": 2, "after": "PT2M",  "to": "chief" },
                          { "level": 3, "after": "PT10M", "to": "command-center" } ],
          "immediate": { "categories": ["homicide", "mass-incident", "fire-casualty"], "to": "chief" } }
        """;
}
