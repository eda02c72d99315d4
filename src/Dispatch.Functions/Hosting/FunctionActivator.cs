using System.Collections.Concurrent;
using Microsoft.Azure.Functions.Worker;
using Microsoft.Extensions.DependencyInjection;

namespace Dispatch.Functions.Hosting;

/// <summary>
/// How both hosts make an instance of a function class for one invocation: its constructor's parameters from the
/// invocation's services, as the worker's own activator does (<c>ActivatorUtilities.CreateInstance</c>), but with
/// the constructor found once per class instead of on every call. Function classes are never services of their
/// own: a registration of one would be used by one host and ignored by the other, so none is made (a test holds it).
/// </summary>
public sealed class FunctionActivator : IFunctionActivator
{
    private static readonly ConcurrentDictionary<Type, ObjectFactory> Factories = new();

    public static object Create(Type functionClass, IServiceProvider services) =>
        Factories.GetOrAdd(functionClass, type => ActivatorUtilities.CreateFactory(type, Type.EmptyTypes))(services, null);

    /// <summary>The worker's hook: the reflection invoker and the generated executor both ask it for each invocation.</summary>
    public object? CreateInstance(Type instanceType, FunctionContext context) => Create(instanceType, context.InstanceServices);
}
