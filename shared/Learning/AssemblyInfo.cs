using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ActiveLabel.Learning.Tests")]
[assembly: InternalsVisibleTo("ActiveLabel.Learning.Benchmarks")]

namespace ActiveLabel.Learning;
