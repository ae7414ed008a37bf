namespace ActiveLabel.Learning;

/// <summary>
/// The k best (score, row) pairs seen, as a min-heap: a candidate that does not beat the worst kept one costs a
/// single comparison. Ties go to the lower row, so the result does not depend on the order rows were offered in.
/// </summary>
internal sealed class TopK(int capacity)
{
    private readonly (double Score, int Row)[] _heap = new (double, int)[Math.Max(capacity, 1)];
    private int _count;

    private static bool Better((double Score, int Row) a, (double Score, int Row) b) =>
        a.Score > b.Score || (a.Score == b.Score && a.Row < b.Row);

    public void Offer(double score, int row)
    {
        if (capacity == 0)
        {
            return;
        }

        if (_count < capacity)
        {
            _heap[_count] = (score, row);
            SiftUp(_count++);
        }
        else if (Better((score, row), _heap[0]))
        {
            _heap[0] = (score, row);
            SiftDown(0);
        }
    }

    public void Merge(TopK other)
    {
        for (var i = 0; i < other._count; i++)
        {
            Offer(other._heap[i].Score, other._heap[i].Row);
        }
    }

    /// <summary>The kept pairs, best first.</summary>
    public (double Score, int Row)[] Sorted()
    {
        var result = _heap[.._count];
        Array.Sort(result, (a, b) => Better(a, b) ? -1 : Better(b, a) ? 1 : 0);
        return result;
    }

    private void SiftUp(int i)
    {
        while (i > 0)
        {
            var parent = (i - 1) / 2;
            if (!Better(_heap[parent], _heap[i]))
            {
                break;
            }

            (_heap[parent], _heap[i]) = (_heap[i], _heap[parent]);
            i = parent;
        }
    }

    private void SiftDown(int i)
    {
        while (true)
        {
            var worst = i;
            var left = (2 * i) + 1;
            var right = left + 1;
            if (left < _count && Better(_heap[worst], _heap[left]))
            {
                worst = left;
            }

            if (right < _count && Better(_heap[worst], _heap[right]))
            {
                worst = right;
            }

            if (worst == i)
            {
                return;
            }

            (_heap[worst], _heap[i]) = (_heap[i], _heap[worst]);
            i = worst;
        }
    }
}
