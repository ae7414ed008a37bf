using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("ActiveLabel.Alp.Tests")]
