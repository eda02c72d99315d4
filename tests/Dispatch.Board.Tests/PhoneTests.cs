using System.Net.Http.Json;
using System.Text.Json;
using Dispatch.Core.Incidents;
using Dispatch.Testing;
using Microsoft.Playwright;
using NodaTime;
using Xunit.Abstractions;
using static Microsoft.Playwright.Assertions;

namespace Dispatch.Board.Tests;

/// <summary>
/// The board in a pocket (issue 30): the same page on a 360 × 740 touch screen at device scale 3, in Chinese, as a
/// patrol officer's handset (警务通) and a chief's phone show it. The limits are the outside world's: 44 × 44 CSS px
/// for a touch target (WCAG 2.2, success criterion 2.5.5, https://www.w3.org/TR/WCAG22/#target-size-enhanced), 16 px
/// for text and no sideways scrolling at 360 px (the issue). The words are language.md's, written out by hand.
/// </summary>
[Collection(BoardFixture.Name)]
public sealed class PhoneTests(BoardFixture fixture, ITestOutputHelper output) : IAsyncLifetime
{
    private const int SmallestTarget = 44;
    private const int SmallestText = 16;

    /// <summary>
    /// Everything on the page that breaks the phone's rules, one line each: the page wider than the screen, a visible
    /// target (button, link, field, switch) under 44 px either way or off the screen's edge, visible text under 16 px
    /// (the cards' column names, drawn by CSS, included).
    /// </summary>
    private const string Measure = """
        () => {
          const problems = [];
          const root = document.documentElement;
          if (root.scrollWidth > root.clientWidth) problems.push(`scrolls sideways: ${root.scrollWidth} px of content on ${root.clientWidth} px`);
          const shown = (e) => { const r = e.getBoundingClientRect(); return r.width > 1 && r.height > 1 && getComputedStyle(e).visibility !== 'hidden'; };
          const name = (e) => `${e.tagName.toLowerCase()}${e.id ? '#' + e.id : ''}${e.className ? '.' + String(e.className).trim().replace(/\s+/g, '.') : ''} "${(e.textContent || e.value || '').trim().slice(0, 24)}"`;
          for (const e of document.querySelectorAll('button, a[href], select, input, textarea, [role=switch]')) {
            if (!shown(e)) continue;
            const r = e.getBoundingClientRect();
            if (r.width < 44 || r.height < 44) problems.push(`target ${name(e)}: ${r.width.toFixed(1)} × ${r.height.toFixed(1)} px`);
            if (r.left < -0.5 || r.right > root.clientWidth + 0.5) problems.push(`target ${name(e)} past the screen's edge: ${r.left.toFixed(1)}–${r.right.toFixed(1)} px`);
          }
          for (const e of document.querySelectorAll('body *')) {
            if (!shown(e) || e.closest('thead, option, datalist')) continue;
            const ownText = [...e.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
            const size = parseFloat(getComputedStyle(e).fontSize);
            if (ownText && size < 16) problems.push(`text ${name(e)}: ${size} px`);
            if (e.dataset.label && parseFloat(getComputedStyle(e, '::before').fontSize) < 16) problems.push(`column name of ${name(e)}: ${getComputedStyle(e, '::before').fontSize}`);
          }
          return problems;
        }
        """;

    private LiveApi stack = null!;
    private Staff staff = null!;

    private string Station => staff.Station.Value;

    public async Task InitializeAsync()
    {
        stack = await LiveApi.StartAsync(fixture);
        staff = await stack.Host.StaffAsync(ApiHost.NewStation());
    }

    public async Task DisposeAsync() => await stack.DisposeAsync();

    [Fact]
    public async Task Every_view_fits_a_360_px_screen_with_targets_of_44_px_and_text_of_16_px()
    {
        var escalated = await ReportAsync("P1");
        await ReportAsync("P3");
        var dispatched = await ReportAsync("P2");
        await DispatchAsync(dispatched);
        // A second unit with a position, so the dispatch form lists a candidate with its distance and the unit panel a position.
        await stack.Host.EnlistAsync(new Core.Identity.Membership(staff.Station, new Core.Identity.Person($"officer2.{Station}", "Officer Two"), Core.Identity.StationRole.Officer, "patrol-2"));
        using (var placed = await staff.As(staff.Dispatcher).PostAsJsonAsync($"stations/{Station}/units/patrol-2/position", new { latitude = 34.2518, longitude = 108.9469, accuracy = 20 }))
        {
            placed.EnsureSuccessStatusCode();
        }

        stack.Clock.Advance(Duration.FromSeconds(70)); // P1's dispatch window is a minute: escalated to level 1
        await stack.Host.Service<Sweeper>().SweepAsync(default);
        var problems = new List<string>();
        async Task CheckAsync(IPage page, string view)
        {
            await page.ScreenshotAsync(new() { Path = Path.Combine(BoardFixture.Screenshots, $"phone-{view}.zh-CN.png") }); // what the phone's screen shows
            var found = (await page.EvaluateAsync<string[]>(Measure)).Select(p => $"{view}: {p}").ToList();
            found.ForEach(output.WriteLine); // printed as found: a later step that fails for the same cause must not hide them
            problems.AddRange(found);
        }

        var chief = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Chief);
        await Expect(chief.Locator($"tr[data-incident-id='{escalated}'] td.esc")).ToContainTextAsync("未签收");
        await CheckAsync(chief, "chief");
        await chief.Locator($"tr[data-incident-id='{escalated}'] td").First.TapAsync(); // the card, off its buttons and link: opens the incident
        await Expect(chief.Locator("#panel .timeline li")).Not.ToHaveCountAsync(0);
        await CheckAsync(chief, "incident");

        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer);
        await Expect(officer.Locator($"tr[data-incident-id='{dispatched}'] button.next-step")).ToHaveTextAsync("到场");
        await CheckAsync(officer, "officer");

        var dispatcher = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Dispatcher);
        await dispatcher.Locator("#new-report").TapAsync();
        await Expect(dispatcher.Locator("#panel [name='category']")).ToBeVisibleAsync();
        await CheckAsync(dispatcher, "report");
        await dispatcher.Locator("#panel-close").TapAsync();
        await dispatcher.Locator($"tr[data-incident-id='{escalated}']").GetByRole(AriaRole.Button, new() { Name = $"派警 {escalated}" }).TapAsync();
        await Expect(dispatcher.Locator("#panel [name='officer']")).ToBeVisibleAsync();
        await Expect(dispatcher.Locator("#panel .candidates li[data-unit='patrol-2'] .facts")).ToContainTextAsync("1.1公里");
        await CheckAsync(dispatcher, "dispatch");
        await dispatcher.Locator("#panel-close").TapAsync();
        await Expect(dispatcher.Locator("#units tbody tr[data-unit='patrol-2']")).ToBeVisibleAsync();
        await dispatcher.Locator("#units").ScrollIntoViewIfNeededAsync();
        await CheckAsync(dispatcher, "units");

        output.WriteLine(problems.Count == 0 ? "no problem on any view" : string.Join("\n", problems));
        Assert.Empty(problems);
    }

    [Fact]
    public async Task The_chief_sees_the_escalation_to_him_first_and_acknowledges_it_with_one_tap()
    {
        var quiet = await ReportAsync("P3");
        var id = await ReportAsync("P1");
        stack.Clock.Advance(Duration.FromSeconds(70));
        await stack.Host.Service<Sweeper>().SweepAsync(default);
        var chief = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Chief);
        var card = chief.Locator($"tr[data-incident-id='{id}']");
        await Expect(card.Locator("td.esc")).ToContainTextAsync("未签收");
        await Expect(chief.Locator("#rows tr").First).ToHaveAttributeAsync("data-incident-id", id);

        await card.GetByRole(AriaRole.Button, new() { Name = $"签收 {id}" }).TapAsync();

        // The confirmation where a thumb's owner reads it, and the card saying who acknowledged (language.md: X 已签收).
        await Expect(chief.Locator("#announce")).ToHaveTextAsync($"签收 {id}：已完成");
        await Expect(card.Locator("td.esc")).ToContainTextAsync($"{staff.Chief.Name} 已签收");
        await Expect(card.GetByRole(AriaRole.Button, new() { Name = $"签收 {id}" })).ToHaveCountAsync(0);
        Assert.True(await chief.Locator("#announce").IsVisibleAsync());
        var incident = await stack.Host.Client.GetFromJsonAsync<JsonElement>($"incidents/{id}");
        Assert.Equal(staff.Chief.Subject, incident.GetProperty("clocks").GetProperty("dispatch").GetProperty("acknowledgedBy").GetProperty("id").GetString());
        Assert.NotNull(quiet);
    }

    [Fact]
    public async Task The_officer_sees_his_work_first_and_an_arrival_with_the_handsets_position_is_verified()
    {
        await ReportAsync("P1"); // the station's, more urgent, not his
        var id = await ReportAsync("P3");
        await DispatchAsync(id);
        // The Bell Tower of Xi'an (units-and-dispatch.md) with a phone's open-sky accuracy; the incident is at 34.26 N,
        // 108.94 E (ApiHost.Report). Haversine with R = 6,371.0088 km, by hand: 238.8 m, inside the 300 m radius.
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer, new Geolocation { Latitude = 34.2610f, Longitude = 108.9423f, Accuracy = 15 });
        var card = officer.Locator("#rows tr").First;
        await Expect(card).ToHaveAttributeAsync("data-incident-id", id);
        var map = await card.Locator("a.map").GetAttributeAsync("href");

        await card.Locator("button.next-step").TapAsync();

        await Expect(card.Locator(".verified")).ToHaveTextAsync("到场已核验（距现场 239米）");
        await Expect(card.Locator("button.next-step")).ToHaveTextAsync("处置完毕");
        var arrival = (await stack.Host.Client.GetFromJsonAsync<JsonElement>($"incidents/{id}")).GetProperty("arrival");
        Assert.True(arrival.GetProperty("verified").GetBoolean());
        Assert.StartsWith("geo:34.26,108.94?q=34.26,108.94(", map, StringComparison.Ordinal); // RFC 5870: geo:lat,lon
    }

    [Fact]
    public async Task An_officer_who_refuses_his_position_still_arrives_and_the_arrival_is_unverified()
    {
        var id = await ReportAsync("P2");
        await DispatchAsync(id);
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer); // no permission: the browser refuses
        var card = officer.Locator($"tr[data-incident-id='{id}']");

        await card.Locator("button.next-step").TapAsync();

        await Expect(card.Locator("td[data-clock='arrival']")).ToHaveAttributeAsync("data-state", "met");
        await Expect(card.Locator(".verified")).ToHaveTextAsync("到场未核验（无定位）");
        var arrival = (await stack.Host.Client.GetFromJsonAsync<JsonElement>($"incidents/{id}")).GetProperty("arrival");
        Assert.False(arrival.GetProperty("verified").GetBoolean());
        Assert.Equal(JsonValueKind.Null, arrival.GetProperty("distanceMeters").ValueKind);
    }

    [Fact]
    public async Task On_duty_the_page_sends_the_units_position_says_so_and_stops_at_the_switch()
    {
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer, new Geolocation { Latitude = 34.2557f, Longitude = 108.9535f, Accuracy = 30 });

        await Expect(officer.Locator("#duty-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^正在发送patrol-1的定位，每20秒一次 · 上次 \d\d:\d\d:\d\d$"));
        var trail = await staff.As(staff.Chief).GetFromJsonAsync<JsonElement>($"stations/{Station}/units/patrol-1/positions");
        await officer.Locator("#duty-switch").TapAsync();

        await Expect(officer.Locator("#duty-state")).ToHaveTextAsync("未发送定位");
        Assert.Equal("false", await officer.Locator("#duty-switch").GetAttributeAsync("aria-checked"));
        output.WriteLine(trail.ToString());
        var latest = trail.GetProperty("positions")[0];
        Assert.Equal(34.2557, latest.GetProperty("latitude").GetDouble(), 4);
        Assert.Equal(30, latest.GetProperty("accuracy").GetDouble());
    }

    [Fact]
    public async Task An_arrival_pressed_while_the_api_is_unreachable_is_shown_queued_and_sent_when_it_returns_at_the_servers_time()
    {
        var (id, officer, card) = await OfficersCardAsync();

        await stack.Host.StopAsync();
        await card.Locator("button.next-step").TapAsync();
        await Expect(card.Locator(".queued")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^到场等待网络：\d\d:\d\d:\d\d 按下$"));
        var queued = await card.Locator(".queued").TextContentAsync();
        await Task.Delay(3000); // retries that find the API still down keep it queued, and never send it twice
        await Expect(card.Locator(".queued")).ToHaveCountAsync(1);
        var returned = stack.Clock.GetCurrentInstant();
        await stack.Host.RestartAsync();

        await Expect(card.Locator("td[data-clock='arrival']")).ToHaveAttributeAsync("data-state", "met", new() { Timeout = 20_000 });
        await Expect(card.Locator(".queued")).ToHaveCountAsync(0);
        var timeline = await stack.Host.Client.GetFromJsonAsync<JsonElement>($"incidents/{id}/timeline");
        var arrivals = timeline.GetProperty("events").EnumerateArray().Where(e => e.GetProperty("kind").GetString() == "on-scene").ToList();
        output.WriteLine($"{queued}; the API back at {returned}; arrival recorded at {arrivals.Select(a => a.GetProperty("at").GetString()).FirstOrDefault()}");
        var arrival = Assert.Single(arrivals); // sent once, not dropped
        Assert.True(InstantOf(arrival.GetProperty("at")) >= returned, "recorded at the server's time when it arrived, never back-dated to the press");
        Assert.Equal("[]", await officer.EvaluateAsync<string>("() => localStorage.getItem('dispatch.queue')"));
    }

    [Fact]
    public async Task When_the_officers_unit_is_set_off_duty_by_someone_else_the_page_stops_sending_its_position_and_says_so()
    {
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer, new Geolocation { Latitude = 34.2557f, Longitude = 108.9535f, Accuracy = 30 });
        await Expect(officer.Locator("#duty-state")).ToHaveTextAsync(new System.Text.RegularExpressions.Regex(@"^正在发送patrol-1的定位，每20秒一次 · 上次 \d\d:\d\d:\d\d$"));
        var sent = new List<DateTime>();
        officer.Request += (_, request) =>
        {
            if (request.Method == "POST" && request.Url.EndsWith("/units/patrol-1/position", StringComparison.Ordinal))
            {
                lock (sent)
                {
                    sent.Add(DateTime.UtcNow);
                }
            }
        };

        using (var offDuty = await staff.As(staff.Dispatcher).PostAsJsonAsync($"stations/{Station}/units/patrol-1/status", new { status = "off-duty" }))
        {
            offDuty.EnsureSuccessStatusCode();
        }

        // The page looks at its units every 10 s (board.js UNITS_MS) and sends a position every 20 s (POSITION_MS).
        await Expect(officer.Locator("#duty-state")).ToHaveTextAsync("patrol-1已下班：不发送定位", new() { Timeout = 25_000 });
        int seen;
        lock (sent)
        {
            seen = sent.Count;
        }

        await Task.Delay(TimeSpan.FromSeconds(23)); // longer than one sending period: a page still sending would have sent one
        output.WriteLine($"positions sent before the page saw the unit off duty: {seen}; after: {sent.Count - seen}");
        Assert.Equal(seen, sent.Count);
        Assert.Equal("true", await officer.Locator("#duty-switch").GetAttributeAsync("aria-checked")); // the person's switch is untouched
        await Expect(officer.Locator("#duty-state")).ToHaveTextAsync("patrol-1已下班：不发送定位");
    }

    [Fact]
    public async Task A_queued_arrival_whose_first_attempt_reached_the_server_is_shown_done_not_failed_and_both_attempts_carry_one_idempotency_key()
    {
        var (id, officer, card) = await OfficersCardAsync();
        var keys = new List<string?>();
        var statuses = new List<int>();
        // The first attempt goes through to the API, which records the arrival; its answer is lost on the way back (the
        // connection drops), so the page queues the arrival and sends it again once the board's next poll gets through.
        await officer.RouteAsync($"**/api/incidents/{id}/arrive", async route =>
        {
            keys.Add(await route.Request.HeaderValueAsync("idempotency-key"));
            if (keys.Count == 1)
            {
                var reached = await route.FetchAsync();
                statuses.Add(reached.Status);
                await route.AbortAsync("connectionreset");
            }
            else
            {
                var retried = await route.FetchAsync();
                statuses.Add(retried.Status);
                await route.FulfillAsync(new() { Response = retried });
            }
        });

        await card.Locator("button.next-step").TapAsync();

        await Expect(officer.Locator("#announce")).ToHaveTextAsync(
            new System.Text.RegularExpressions.Regex($@"^到场 {System.Text.RegularExpressions.Regex.Escape(id)}：已发送（\d\d:\d\d:\d\d 按下，服务器记录时间 \d\d:\d\d:\d\d）$"));
        await Expect(card.Locator(".queued")).ToHaveCountAsync(0);
        await Expect(card.Locator("td[data-clock='arrival']")).ToHaveAttributeAsync("data-state", "met");
        var timeline = await stack.Host.Client.GetFromJsonAsync<JsonElement>($"incidents/{id}/timeline");
        output.WriteLine($"attempts: {string.Join(", ", statuses)}; keys: {string.Join(", ", keys)}");
        Assert.Equal(2, keys.Count);
        Assert.Matches("^[0-9a-f]{32}$", keys[0]);
        Assert.Equal(keys[0], keys[1]); // made when the button was pressed, the same on the retry
        Assert.Equal(200, statuses[0]); // the first attempt did arrive
        Assert.Single(timeline.GetProperty("events").EnumerateArray(), e => e.GetProperty("kind").GetString() == "on-scene");
        Assert.Equal("[]", await officer.EvaluateAsync<string>("() => localStorage.getItem('dispatch.queue')"));
    }

    [Fact]
    public async Task The_app_serves_a_manifest_and_icons_for_the_home_screen_and_registers_no_service_worker()
    {
        var page = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Chief);
        var href = await page.Locator("link[rel='manifest']").GetAttributeAsync("href");
        var manifestUrl = new Uri(new Uri(page.Url), href);
        using var http = new HttpClient();
        using var response = await http.GetAsync(manifestUrl);
        var manifest = await response.Content.ReadFromJsonAsync<JsonElement>();
        var icons = new List<(string Sizes, string Type, int Width, int Height)>();
        foreach (var icon in manifest.GetProperty("icons").EnumerateArray())
        {
            using var image = await http.GetAsync(new Uri(manifestUrl, icon.GetProperty("src").GetString()));
            var bytes = await image.Content.ReadAsByteArrayAsync();
            var type = image.Content.Headers.ContentType!.MediaType!;
            // A PNG's size is in its IHDR chunk, big-endian at bytes 16–23 (PNG specification, §11.2.2).
            var (width, height) = type == "image/png" ? (ReadBigEndian(bytes, 16), ReadBigEndian(bytes, 20)) : (0, 0);
            Assert.Equal(200, (int)image.StatusCode);
            icons.Add((icon.GetProperty("sizes").GetString()!, type, width, height));
        }

        var workers = await page.EvaluateAsync<int>("async () => (await navigator.serviceWorker.getRegistrations()).length");
        var script = await File.ReadAllTextAsync(Path.Combine(RepoRoot.Path, "src", "Dispatch.Functions", "Board", "board.js"));

        Assert.Equal("application/manifest+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("警情看板", manifest.GetProperty("name").GetString()); // the policy's language, zh-CN
        Assert.Equal("standalone", manifest.GetProperty("display").GetString()); // its own window
        Assert.Equal(new Uri(page.Url).AbsolutePath, new Uri(manifestUrl, manifest.GetProperty("start_url").GetString()).AbsolutePath);
        Assert.Contains(("192x192", "image/png", 192, 192), icons);
        Assert.Contains(("512x512", "image/png", 512, 512), icons);
        Assert.Contains(("any", "image/svg+xml", 0, 0), icons);
        Assert.Equal(0, workers);
        Assert.DoesNotContain("serviceWorker", script, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Axe_finds_no_serious_or_critical_violation_on_the_phones_views()
    {
        var id = await ReportAsync("P1");
        await DispatchAsync(await ReportAsync("P2"));
        var axe = Path.Combine(RepoRoot.Path, "node_modules", "axe-core", "axe.min.js");
        var violations = new List<string>();
        async Task CheckAsync(IPage page, string view)
        {
            await page.AddScriptTagAsync(new() { Path = axe });
            var result = await page.EvaluateAsync<JsonElement>("async () => (await axe.run(document, { resultTypes: ['violations'] })).violations.map(v => ({ id: v.id, impact: v.impact, nodes: v.nodes.length }))");
            violations.AddRange(result.EnumerateArray()
                .Where(v => v.GetProperty("impact").GetString() is "serious" or "critical")
                .Select(v => $"{view}: {v.GetProperty("id").GetString()} ({v.GetProperty("impact").GetString()}, {v.GetProperty("nodes").GetInt32()} nodes)"));
        }

        var chief = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Chief, bypassCsp: true);
        await Expect(chief.Locator("#rows tr")).ToHaveCountAsync(2);
        await CheckAsync(chief, "chief");
        await chief.Locator($"tr[data-incident-id='{id}'] td[data-clock='dispatch']").TapAsync();
        await Expect(chief.Locator("#panel .timeline li")).Not.ToHaveCountAsync(0);
        await CheckAsync(chief, "incident");
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer, bypassCsp: true);
        await Expect(officer.Locator("button.next-step")).ToHaveCountAsync(1);
        await CheckAsync(officer, "officer");

        Assert.Empty(violations);
    }

    /// <summary>A P2 dispatched to the officer's unit, on his phone (no position allowed), its card showing 到场.</summary>
    private async Task<(string Id, IPage Officer, ILocator Card)> OfficersCardAsync()
    {
        var id = await ReportAsync("P2");
        await DispatchAsync(id);
        var officer = await stack.OpenPhoneAsync(fixture.ChineseBrowser, staff.Officer);
        var card = officer.Locator($"tr[data-incident-id='{id}']");
        await Expect(card.Locator("button.next-step")).ToHaveTextAsync("到场");
        return (id, officer, card);
    }

    private static int ReadBigEndian(byte[] bytes, int at) => (bytes[at] << 24) | (bytes[at + 1] << 16) | (bytes[at + 2] << 8) | bytes[at + 3];

    private static Instant InstantOf(JsonElement value) => Instant.FromDateTimeOffset(value.GetDateTimeOffset());

    private async Task<string> ReportAsync(string priority) =>
        (await ApiHost.ReportAsync(staff.As(staff.Dispatcher), ApiHost.Report(Station, priority)))["id"]!.GetValue<string>();

    private async Task DispatchAsync(string id)
    {
        using var response = await staff.As(staff.Dispatcher).PostAsJsonAsync($"incidents/{id}/dispatch", new { unit = "patrol-1", officer = staff.Officer.Subject });
        response.EnsureSuccessStatusCode();
    }
}
