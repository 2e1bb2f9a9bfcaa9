namespace DeepMdCompress.TestSupport;

/// <summary>
/// A 101 614-atom frame for min_nbor_dist at scale, shared by the xunit tests and the benchmarks (linked source):
/// a 47×47×46 simple-cubic lattice, 2 Å spacing, jitter ≤ 0.2 Å (so every other pair is ≥ 1.6 Å), with atoms
/// i &lt; j moved to 1.1 Å apart — inside the box, or across its x boundary.
/// </summary>
internal static class LatticeFrame
{
    public static (double[] Coord, double[] Box, int I, int J) Build(bool acrossBoundary = false)
    {
        const int nx = 47, ny = 47, nz = 46;
        var rng = new Random(11);
        var coord = new double[nx * ny * nz * 3];
        int k = 0;
        for (int x = 0; x < nx; x++)
        for (int y = 0; y < ny; y++)
        for (int z = 0; z < nz; z++)
        {
            coord[k++] = 2.0 * x + (rng.NextDouble() - 0.5) * 0.4;
            coord[k++] = 2.0 * y + (rng.NextDouble() - 0.5) * 0.4;
            coord[k++] = 2.0 * z + (rng.NextDouble() - 0.5) * 0.4;
        }

        int Index(int x, int y, int z) => (x * ny + y) * nz + z;
        int i, j;
        if (acrossBoundary)
        {
            i = Index(0, 10, 10);
            j = Index(nx - 1, 10, 10);
            coord[3 * i] = 0.3;
            coord[3 * j] = 2.0 * nx - 0.8;
        }
        else
        {
            i = Index(20, 20, 20);
            j = Index(21, 20, 20);
            coord[3 * j] = coord[3 * i] + 1.1;
        }

        coord[3 * j + 1] = coord[3 * i + 1];
        coord[3 * j + 2] = coord[3 * i + 2];
        return (coord, new[] { 2.0 * nx, 0, 0, 0, 2.0 * ny, 0, 0, 0, 2.0 * nz }, i, j);
    }
}
