using Microsoft.EntityFrameworkCore;

namespace ActiveLabel.Persistence;

/// <summary>Idempotent consumers: record a message as handled in the same transaction as the work it causes.</summary>
public static class InboxExtensions
{
    /// <summary>
    /// Records that <paramref name="consumer"/> handled the message identified by <paramref name="messageKey"/>.
    /// Returns false if it was already recorded, in which case the caller must do nothing. Call inside the
    /// transaction that holds the consumer's writes.
    /// </summary>
    public static async Task<bool> TryRecordInboxAsync(this PlatformDbContext db, string consumer, string messageKey, CancellationToken cancellationToken)
    {
        var inserted = await db.Database.ExecuteSqlInterpolatedAsync(
            $"INSERT INTO inbox_messages (consumer, message_key, processed_at) VALUES ({consumer}, {messageKey}, now()) ON CONFLICT DO NOTHING",
            cancellationToken);
        return inserted == 1;
    }
}
