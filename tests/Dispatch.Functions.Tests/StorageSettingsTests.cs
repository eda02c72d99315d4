using Dispatch.Functions.Settings;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Dispatch.Functions.Tests;

/// <summary>Which table service the app signs in to, from the settings it is given.</summary>
public sealed class StorageSettingsTests
{
    private const string Azurite = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;TableEndpoint=http://127.0.0.1:10002/devstoreaccount1;";

    [Fact]
    public void A_connection_string_alone_is_used_as_it_is()
    {
        var client = DispatchServiceCollectionExtensions.CreateTableService(Settings(("AzureWebJobsStorage", Azurite)));

        Assert.Equal("http://127.0.0.1:10002/devstoreaccount1", client.Uri.ToString().TrimEnd('/'));
    }

    [Theory]
    [InlineData("DISPATCH_TABLE_SERVICE_URI", "https://dispatchx.table.core.windows.net/")]
    [InlineData("AzureWebJobsStorage:tableServiceUri", "https://dispatchx.table.core.windows.net/")]
    [InlineData("AzureWebJobsStorage:accountName", "dispatchx")]
    public void Identity_settings_win_over_a_connection_string_in_the_hosts_setting(string setting, string value)
    {
        var client = DispatchServiceCollectionExtensions.CreateTableService(Settings(("AzureWebJobsStorage", Azurite), (setting, value)));

        Assert.Equal("https://dispatchx.table.core.windows.net/", client.Uri.ToString());
    }

    [Fact]
    public void The_apps_own_setting_wins_over_the_hosts_identity_settings()
    {
        var client = DispatchServiceCollectionExtensions.CreateTableService(Settings(
            ("AzureWebJobsStorage:accountName", "hostaccount"), ("DISPATCH_TABLE_SERVICE_URI", "https://appaccount.table.core.windows.net")));

        Assert.Equal("https://appaccount.table.core.windows.net/", client.Uri.ToString());
    }

    [Fact]
    public void A_table_endpoint_that_is_not_https_or_no_storage_setting_at_all_stops_the_app_naming_the_setting()
    {
        var plain = Assert.Throws<OptionsValidationException>(() =>
            DispatchServiceCollectionExtensions.CreateTableService(Settings(("DISPATCH_TABLE_SERVICE_URI", "http://dispatchx.table.core.windows.net"))));
        Assert.Contains("DISPATCH_TABLE_SERVICE_URI", plain.Message, StringComparison.Ordinal);

        var none = Assert.Throws<OptionsValidationException>(() => DispatchServiceCollectionExtensions.CreateTableService(Settings()));
        Assert.Contains("DISPATCH_TABLE_SERVICE_URI", none.Message, StringComparison.Ordinal);
        Assert.Contains("AzureWebJobsStorage", none.Message, StringComparison.Ordinal);
    }

    private static IConfiguration Settings(params (string Key, string Value)[] values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => KeyValuePair.Create(v.Key, (string?)v.Value))).Build();
}
