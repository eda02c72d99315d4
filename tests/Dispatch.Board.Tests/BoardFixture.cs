using Dispatch.Core.Identity;
using Dispatch.LocalHost;
using Dispatch.Testing;
using Microsoft.Playwright;
using NodaTime;
using NodaTime.Testing;

namespace Dispatch.Board.Tests;

/// <summary>
/// One Azurite and one Chromium for the board's tests. The browser is Debian's (<c>/usr/bin/chromium</c>, or
/// <c>DISPATCH_CHROMIUM</c>): <c>./dispatch test</c> installs it where missing; Playwright's own download does not
/// work on these machines.
/// </summary>
public sealed class BoardFixture : IAsyncLifetime
{
    public const string Name = "board";

    private AzuriteProcess? azurite;
    private IPlaywright? playwright;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>A Chromium whose user speaks Chinese (<c>--lang=zh-CN</c>), as a station's screens are set up.</summary>
    public IBrowser ChineseBrowser { get; private set; } = null!;

    public string StorageConnectionString => azurite!.ConnectionString;

    /// <summary>Screenshots kept with the test results (TestResults/board).</summary>
    public static string Screenshots { get; } = Directory.CreateDirectory(Path.Combine(RepoRoot.Path, "TestResults", "board")).FullName;

    public static string ChromiumPath => Environment.GetEnvironmentVariable("DISPATCH_CHROMIUM") is { Length: > 0 } path ? path : "/usr/bin/chromium";

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException($"Chromium is not at {ChromiumPath}: run ./dispatch test (it installs Debian's chromium), or apt-get install chromium, or set DISPATCH_CHROMIUM.");
        }

        azurite = await AzuriteProcess.StartAsync(RepoRoot.Path, Ports.Free(), dataDirectory: null, TimeSpan.FromSeconds(30));
        // Expectations wait for what the page will show; 5 s (Playwright's default) is short on a loaded 2-core machine.
        Assertions.SetDefaultExpectTimeout(15_000);
        playwright = await Playwright.CreateAsync();
        Browser = await LaunchAsync(playwright, "en-US");
        ChineseBrowser = await LaunchAsync(playwright, "zh-CN");
    }

    private static Task<IBrowser> LaunchAsync(IPlaywright playwright, string language) => playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
    {
        ExecutablePath = ChromiumPath,
        Args = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", $"--lang={language}"],
    });

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        if (ChineseBrowser is not null)
        {
            await ChineseBrowser.DisposeAsync();
        }

        playwright?.Dispose();
        if (azurite is not null)
        {
            await azurite.DisposeAsync();
        }
    }
}

[CollectionDefinition(BoardFixture.Name)]
public sealed class SharedBoard : ICollectionFixture<BoardFixture>;

/// <summary>An API host whose FakeClock runs at real speed (so countdowns tick) and can still be jumped ahead.</summary>
public sealed class LiveApi : IAsyncDisposable
{
    private readonly RunningClock running;

    private LiveApi(ApiHost host)
    {
        Host = host;
        running = new RunningClock(host.Clock);
    }

    public ApiHost Host { get; }

    public FakeClock Clock => Host.Clock;

    public static async Task<LiveApi> StartAsync(BoardFixture fixture) => new(await ApiHost.StartAsync(fixture.StorageConnectionString));

    /// <summary>A page of the board signed in as <paramref name="person"/> through a link, as <c>./dispatch up</c> prints them.</summary>
    /// <param name="locale">The browser's preferred language (navigator.languages and Accept-Language), as its user set it up.</param>
    public Task<IPage> OpenAsync(IBrowser browser, Person person, string query = "", bool bypassCsp = false, string locale = "en-US", params GlobalRole[] roles) =>
        OpenAsync(browser, new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1500, Height = 900 }, BypassCSP = bypassCsp, Locale = locale }, person, query, roles);

    /// <summary>
    /// The board on a police handset: a 360 × 740 CSS-px touch screen at device scale 3 (a common Android phone, and
    /// the narrowest width issue 30 names), in Chinese. With <paramref name="position"/>, the page may read the
    /// device's position and gets that one; without, the browser refuses it, as a person who says no.
    /// </summary>
    public Task<IPage> OpenPhoneAsync(IBrowser browser, Person person, Geolocation? position = null, bool bypassCsp = false) =>
        OpenAsync(browser, new BrowserNewContextOptions
        {
            ViewportSize = new ViewportSize { Width = 360, Height = 740 }, DeviceScaleFactor = 3, IsMobile = true, HasTouch = true,
            Locale = "zh-CN", BypassCSP = bypassCsp, Geolocation = position, Permissions = position is null ? [] : ["geolocation"],
        }, person, "", []);

    private async Task<IPage> OpenAsync(IBrowser browser, BrowserNewContextOptions options, Person person, string query, GlobalRole[] roles)
    {
        var context = await browser.NewContextAsync(options);
        var page = await context.NewPageAsync();
        var token = Host.Tokens.Mint(person, roles, Clock.GetCurrentInstant(), Duration.FromDays(1));
        await page.GotoAsync($"{Host.BaseAddress}board{query}#token={token}");
        await Assertions.Expect(page.Locator("#who")).ToContainTextAsync(person.Name);
        return page;
    }

    public async ValueTask DisposeAsync()
    {
        await running.DisposeAsync();
        await Host.DisposeAsync();
    }
}
