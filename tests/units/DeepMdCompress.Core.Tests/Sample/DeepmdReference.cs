using DeepMdCompress.Core.Graph;
using DeepMdCompress.Core.Proto;
using DeepMdCompress.Core.Sample;

namespace DeepMdCompress.Core.Tests.Sample;

/// <summary>
/// deepmd-kit's energy model written out directly from its formulas (docs/tables.md#embedding-nets, docs/descriptors.md#rewiring; se_a/se_r/se_t
/// descriptors, ener fitting with resnet layers), reading the weights by their deepmd-kit names. It never looks at
/// the graph's structure, so agreeing with an evaluation of the graph proves the graph computes deepmd-kit's model.
/// </summary>
internal sealed class DeepmdReference
{
    private readonly GraphIndex _index;
    private readonly SampleModelOptions _o;
    private readonly string _descriptor;
    private readonly int[] _sel;
    private readonly int _nnei;
    private readonly int _last;

    public DeepmdReference(GraphDef graph, SampleModelOptions options)
    {
        _index = new GraphIndex(graph);
        _o = options;
        _descriptor = SampleModelOptions.CanonicalDescriptor(options.Descriptor)!;
        _sel = options.Sel.ToArray();
        _nnei = _sel.Sum();
        _last = options.Neuron[^1];
    }

    public int NDescrpt => _descriptor == "se_e2_r" ? _nnei : 4 * _nnei;

    private double[] W(string name) => _index.TryGetConst(name)?.AsDoubleArray() ?? throw new InvalidOperationException("missing weight " + name);

    /// <summary>Atomic energies of every local atom, atoms sorted by type with counts <paramref name="counts"/>.</summary>
    public double[] AtomEnergies(double[] rmat, int[] counts, int nframes)
    {
        int nloc = counts.Sum();
        var result = new double[nframes * nloc];
        var bias = W("fitting_attr/t_bias_atom_e");
        for (int f = 0; f < nframes; f++)
        {
            int atom = 0;
            for (int t = 0; t < counts.Length; t++)
            {
                for (int c = 0; c < counts[t]; c++, atom++)
                {
                    var r = rmat.AsSpan(((f * nloc) + atom) * NDescrpt, NDescrpt).ToArray();
                    var d = _descriptor switch
                    {
                        "se_e2_a" => DescriptorSeA(r, t),
                        "se_e2_r" => DescriptorSeR(r, t),
                        _ => DescriptorSeT(r),
                    };
                    result[(f * nloc) + atom] = Fitting(d, t) + bias[t];
                }
            }
        }

        return result;
    }

    private double[] DescriptorSeA(double[] r, int ti)
    {
        int axis = _o.AxisNeuron;
        var tmat = new double[4, _last];
        bool any = false;
        int start = 0;
        for (int j = 0; j < _sel.Length; start += _sel[j], j++)
        {
            bool excluded = _o.IsExcluded(ti, j);
            if (excluded && !_o.TypeOneSide)
            {
                continue;
            }

            any = true;
            string scope = _o.TypeOneSide ? "filter_type_all" : $"filter_type_{ti}";
            for (int s = start; s < start + _sel[j]; s++)
            {
                // type_one_side applies the exclusion as a 0/1 mask on the env matrix.
                double[] row = Enumerable.Range(0, 4).Select(m => excluded ? 0.0 : r[(4 * s) + m]).ToArray();
                var g = Net(scope, $"_{j}", row[0]);
                for (int m = 0; m < 4; m++)
                {
                    for (int k = 0; k < _last; k++)
                    {
                        tmat[m, k] += row[m] * g[k];
                    }
                }
            }
        }

        var d = new double[_last * axis];
        if (!any)
        {
            return d;
        }

        for (int k = 0; k < _last; k++)
        {
            for (int b = 0; b < axis; b++)
            {
                double sum = 0;
                for (int m = 0; m < 4; m++)
                {
                    sum += tmat[m, k] / _nnei * (tmat[m, b] / _nnei);
                }

                d[(k * axis) + b] = sum;
            }
        }

        return d;
    }

    private double[] DescriptorSeR(double[] r, int ti)
    {
        var d = new double[_last];
        int start = 0;
        for (int j = 0; j < _sel.Length; start += _sel[j], j++)
        {
            bool excluded = _o.IsExcluded(ti, j);
            if (excluded && !_o.TypeOneSide)
            {
                continue; // zeros, still counted in the mean over all slots
            }

            string scope = _o.TypeOneSide ? "filter_type_all" : $"filter_type_{ti}";
            for (int s = start; s < start + _sel[j]; s++)
            {
                var g = Net(scope, $"_{j}", excluded ? 0.0 : r[s]);
                for (int k = 0; k < _last; k++)
                {
                    d[k] += g[k];
                }
            }
        }

        return d.Select(v => v / _nnei / 5.0).ToArray();
    }

    private double[] DescriptorSeT(double[] r)
    {
        var d = new double[_last];
        var starts = new int[_sel.Length];
        for (int k = 1; k < _sel.Length; k++)
        {
            starts[k] = starts[k - 1] + _sel[k - 1];
        }

        for (int i = 0; i < _sel.Length; i++)
        {
            for (int j = i; j < _sel.Length; j++)
            {
                double scale = 1.0 / _sel[i] / _sel[j];
                for (int a = starts[i]; a < starts[i] + _sel[i]; a++)
                {
                    for (int b = starts[j]; b < starts[j] + _sel[j]; b++)
                    {
                        double e = 0;
                        for (int m = 1; m < 4; m++)
                        {
                            e += r[(4 * a) + m] * r[(4 * b) + m];
                        }

                        var g = Net("filter_type_all", $"_{i}_{j}", e);
                        for (int k = 0; k < _last; k++)
                        {
                            d[k] += scale * e * g[k];
                        }
                    }
                }
            }
        }

        return d;
    }

    /// <summary>embedding_net on a scalar: φ(x·W + b) per layer, + x (equal width) or + (x, x) (doubled width).</summary>
    private double[] Net(string scope, string suffix, double input)
    {
        var x = new[] { input };
        for (int l = 1; l <= _o.Neuron.Count; l++)
        {
            var w = W($"{scope}/matrix_{l}{suffix}");
            var b = W($"{scope}/bias_{l}{suffix}");
            int width = b.Length;
            var h = new double[width];
            for (int k = 0; k < width; k++)
            {
                double z = b[k];
                for (int i = 0; i < x.Length; i++)
                {
                    z += x[i] * w[(i * width) + k];
                }

                h[k] = Activation(z);
            }

            x = width == x.Length ? x.Select((v, k) => v + h[k]).ToArray()
                : width == 2 * x.Length ? h.Select((v, k) => v + x[k % x.Length]).ToArray()
                : h;
        }

        return x;
    }

    private double Activation(double z)
    {
        const double c = 0.7978845608028654;
        switch (_o.Activation)
        {
            case "tanh":
                return Math.Tanh(z);
            case "gelu":
                return 0.5 * z * (1 + Math.Tanh(c * (z + (0.044715 * z * z * z))));
            case "gelu_tf":
                // TF casts the float32 literal 0.044715 to the tensor's dtype.
                return 0.5 * z * (1 + Math.Tanh(c * (z + ((double)0.044715f * z * z * z))));
            case "relu":
                return Math.Max(z, 0);
            case "relu6":
                return Math.Min(Math.Max(z, 0), 6);
            case "softplus":
                return Math.Log(1 + Math.Exp(z));
            case "sigmoid":
                return 1 / (1 + Math.Exp(-z));
            default:
                throw new NotSupportedException(_o.Activation);
        }
    }

    /// <summary>ener fitting: tanh layers (resnet with idt when widths repeat), a linear final layer.</summary>
    private double Fitting(double[] d, int t)
    {
        var x = d;
        for (int k = 0; k < _o.FittingNeuron.Count; k++)
        {
            var w = W($"layer_{k}_type_{t}/matrix");
            var b = W($"layer_{k}_type_{t}/bias");
            int width = b.Length;
            var h = new double[width];
            for (int j = 0; j < width; j++)
            {
                double z = b[j];
                for (int i = 0; i < x.Length; i++)
                {
                    z += x[i] * w[(i * width) + j];
                }

                h[j] = Math.Tanh(z);
            }

            if (k >= 1 && width == _o.FittingNeuron[k - 1])
            {
                var idt = W($"layer_{k}_type_{t}/idt");
                x = x.Select((v, j) => v + (h[j] * idt[j])).ToArray();
            }
            else
            {
                x = h;
            }
        }

        var wf = W($"final_layer_type_{t}/matrix");
        var bf = W($"final_layer_type_{t}/bias");
        double e = bf[0];
        for (int i = 0; i < x.Length; i++)
        {
            e += x[i] * wf[i];
        }

        return e;
    }
}
