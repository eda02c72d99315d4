using Microsoft.Extensions.Logging;

namespace Dispatch.Functions.Hosting;

/// <summary>What both hosts log about requests: the app's own lines, not ASP.NET Core's two a request.</summary>
public static class RequestLogging
{
    /// <summary>
    /// ASP.NET Core's hosting and routing write "Request starting/finished" and "Executing endpoint" at Information
    /// for every request: formatted, and under the Functions host sent on to it, per request. The app's own log (Log),
    /// its spans and its metrics already say what a request was and how it ended; ASP.NET Core's warnings still show.
    /// </summary>
    public static ILoggingBuilder WithoutPerRequestLines(this ILoggingBuilder logging) =>
        logging.AddFilter("Microsoft.AspNetCore", level => level >= LogLevel.Warning);
}
