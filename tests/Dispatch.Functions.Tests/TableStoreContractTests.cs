using Azure.Data.Tables;
using Dispatch.Core.Audit;
using Dispatch.Core.Tests.StoreContract;
using Dispatch.Functions.Operations;
using Dispatch.Functions.Storage;
using Dispatch.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Functions.Tests;

/// <summary>The store contract the in-memory double also keeps, against the Table Storage store on a real Azurite.</summary>
[Collection(SharedAzurite.Name)]
public sealed class TableStoreContractTests(Azurite azurite) : IncidentStoreContract
{
    protected override Ports Create()
    {
        var clock = new FakeClock(Dispatch.Core.Tests.Doubles.World.T0);
        var monitor = new DependencyMonitor(clock, NullLogger<DependencyMonitor>.Instance);
        var table = new DispatchTable(new TableServiceClient(azurite.ConnectionString), "storecontract", monitor);
        var store = new TableIncidentStore(table, Dispatch.Core.Policy.ResponsePolicy.Default, clock);
        var audit = new TableAuditTrail(table);
        return new Ports(store, new TableIncidentQueries(table), store, async station =>
            (await audit.QueryAsync(new AuditQuery(station, null, Instant.FromUtc(2026, 1, 1, 0, 0), Instant.FromUtc(2027, 1, 1, 0, 0), 1000, null), default)).Items);
    }
}
