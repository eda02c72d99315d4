using Dispatch.Core.Audit;
using Dispatch.Core.Tests.Doubles;

namespace Dispatch.Core.Tests.StoreContract;

/// <summary>The store contract against the in-memory double every Core test runs on.</summary>
public sealed class InMemoryStoreContractTests : IncidentStoreContract
{
    protected override Ports Create()
    {
        var store = new InMemoryStore();
        return new Ports(store, store, store, station => Task.FromResult<IReadOnlyList<AuditRecord>>([.. store.CommittedAudit.Where(a => a.Station == station)]));
    }
}
