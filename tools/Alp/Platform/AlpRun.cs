using System.CommandLine;
using ActiveLabel.Learning;

namespace ActiveLabel.Alp.Platform;

/// <summary>Runs a command's body and turns the failures users cause into a message and an exit code, not a stack trace.</summary>
internal static class AlpRun
{
    /// <summary>Exit code when the platform refused or failed the call.</summary>
    public const int Failed = 1;

    /// <summary>Exit code for bad arguments or input files.</summary>
    public const int Usage = 2;

    public static async Task<int> CallAsync(ParseResult parse, Func<Task<int>> body)
    {
        var stderr = parse.InvocationConfiguration.Error;
        try
        {
            return await body();
        }
        catch (PlatformException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Failed;
        }
        catch (Exception e) when (e is ArgumentException or DataFormatException or IOException)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return Usage;
        }
    }
}
