using Dispatch.Testing;

namespace Dispatch.Functions.Tests;

[CollectionDefinition(Name)]
public sealed class SharedAzurite : ICollectionFixture<Azurite>
{
    public const string Name = "stack";
}
