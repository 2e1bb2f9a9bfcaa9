namespace DeepMdCompress.Core.Tabulation;

/// <summary>
/// How a table's rows cover the input range (docs/tables.md): se_e2_a, se_e2_r and se_atten tabulate fine rows on
/// [lower, upper) then coarse rows on [upper, max); se_e3 adds coarse rows on [−max, lower) in front.
/// </summary>
public enum TableLayout
{
    Standard = 0,
    SeT = 1,
}
