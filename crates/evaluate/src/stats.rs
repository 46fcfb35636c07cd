//! Distribution functions used for confidence intervals and tests.

// Published coefficients are kept digit for digit.
#![allow(clippy::excessive_precision)]

/// Standard normal cumulative distribution function.
///
/// ```
/// use sejahtera_evaluate::stats::norm_cdf;
/// assert!((norm_cdf(1.959963984540054) - 0.975).abs() < 1e-12);
/// ```
pub fn norm_cdf(x: f64) -> f64 {
    0.5 * erfc(-x / std::f64::consts::SQRT_2)
}

/// Complementary error function (W. J. Cody's rational approximations,
/// accurate to about 1e-15 relative).
fn erfc(x: f64) -> f64 {
    let ax = x.abs();
    let r = if ax < 0.5 {
        return 1.0 - erf_small(x);
    } else if ax < 4.0 {
        let p = [
            3.004_592_610_201_616e2,
            4.519_189_537_118_729e2,
            3.393_208_167_343_437e2,
            1.529_892_850_469_404_4e2,
            4.316_222_722_205_674e1,
            7.211_758_250_883_094,
            5.641_955_174_789_74e-1,
            -1.368_648_573_827_167e-7,
        ];
        let q = [
            3.004_592_609_569_833e2,
            7.909_509_253_278_98e2,
            9.313_540_948_506_096e2,
            6.389_802_644_656_312e2,
            2.775_854_447_439_876e2,
            7.700_015_293_522_947e1,
            1.278_272_731_962_942e1,
            1.0,
        ];
        let num = p.iter().rev().fold(0.0, |acc, c| acc * ax + c);
        let den = q.iter().rev().fold(0.0, |acc, c| acc * ax + c);
        (-ax * ax).exp() * num / den
    } else {
        let p = [
            -2.996_107_077_035_422e-3,
            -4.947_309_106_232_507e-2,
            -2.269_565_935_396_869e-1,
            -2.786_613_086_096_478e-1,
            -2.231_924_597_341_847e-2,
        ];
        let q = [
            1.062_092_305_284_679e-2,
            1.913_089_261_078_298e-1,
            1.051_675_107_067_932,
            1.987_332_018_171_353,
            1.0,
        ];
        let z = 1.0 / (ax * ax);
        let num = p.iter().rev().fold(0.0, |acc, c| acc * z + c);
        let den = q.iter().rev().fold(0.0, |acc, c| acc * z + c);
        let frac = z * num / den;
        (-ax * ax).exp() / ax * (1.0 / std::f64::consts::PI.sqrt() + frac)
    };
    if x < 0.0 { 2.0 - r } else { r }
}

fn erf_small(x: f64) -> f64 {
    let p = [
        3.209_377_589_138_469_4e3,
        3.774_852_376_853_020_2e2,
        1.138_641_541_510_501_6e2,
        3.161_123_743_870_565_6,
        1.857_777_061_846_031_5e-1,
    ];
    let q = [
        2.844_236_833_439_170_6e3,
        1.282_616_526_077_372_3e3,
        2.440_246_379_344_441_7e2,
        2.360_129_095_234_412_2e1,
        1.0,
    ];
    let z = x * x;
    let num = p.iter().rev().fold(0.0, |acc, c| acc * z + c);
    let den = q.iter().rev().fold(0.0, |acc, c| acc * z + c);
    x * num / den
}

/// Standard normal quantile (Acklam's approximation refined by two Newton
/// steps on [`norm_cdf`]); `p` must lie in `(0, 1)`.
///
/// ```
/// use sejahtera_evaluate::stats::norm_quantile;
/// assert!((norm_quantile(0.975) - 1.959963984540054).abs() < 1e-12);
/// ```
pub fn norm_quantile(p: f64) -> f64 {
    if !(p > 0.0 && p < 1.0) {
        return f64::NAN;
    }
    let a = [
        -3.969_683_028_665_376e1,
        2.209_460_984_245_205e2,
        -2.759_285_104_469_687e2,
        1.383_577_518_672_69e2,
        -3.066_479_806_614_716e1,
        2.506_628_277_459_239,
    ];
    let b = [
        -5.447_609_879_822_406e1,
        1.615_858_368_580_409e2,
        -1.556_989_798_598_866e2,
        6.680_131_188_771_972e1,
        -1.328_068_155_288_572e1,
    ];
    let c = [
        -7.784_894_002_430_293e-3,
        -3.223_964_580_411_365e-1,
        -2.400_758_277_161_838,
        -2.549_732_539_343_734,
        4.374_664_141_464_968,
        2.938_163_982_698_783,
    ];
    let d = [
        7.784_695_709_041_462e-3,
        3.224_671_290_700_398e-1,
        2.445_134_137_142_996,
        3.754_408_661_907_416,
    ];
    let pl = 0.02425;
    let mut x = if p < pl {
        let q = (-2.0 * p.ln()).sqrt();
        (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    } else if p <= 1.0 - pl {
        let q = p - 0.5;
        let r = q * q;
        (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
            / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1.0)
    } else {
        let q = (-2.0 * (1.0 - p).ln()).sqrt();
        -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
            / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1.0)
    };
    for _ in 0..2 {
        let e = norm_cdf(x) - p;
        let pdf = (-0.5 * x * x).exp() / (2.0 * std::f64::consts::PI).sqrt();
        if pdf > 0.0 {
            x -= e / pdf;
        }
    }
    x
}

/// Upper tail probability of the chi-squared distribution with `df` degrees
/// of freedom: `P(X > x)`.
///
/// ```
/// use sejahtera_evaluate::stats::chi2_sf;
/// assert!((chi2_sf(3.841458820694124, 1.0) - 0.05).abs() < 1e-10);
/// ```
pub fn chi2_sf(x: f64, df: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    upper_gamma_q(df / 2.0, x / 2.0)
}

fn ln_gamma(x: f64) -> f64 {
    // Lanczos approximation (g = 7, n = 9).
    let g = 7.0;
    let coef = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = coef[0];
    let t = x + g + 0.5;
    for (i, c) in coef.iter().enumerate().skip(1) {
        a += c / (x + i as f64);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized upper incomplete gamma function Q(a, x).
fn upper_gamma_q(a: f64, x: f64) -> f64 {
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        // Series for P, then Q = 1 - P.
        let mut sum = 1.0 / a;
        let mut del = sum;
        let mut ap = a;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        1.0 - sum * (-x + a * x.ln() - gln).exp()
    } else {
        // Continued fraction (Lentz).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        (-x + a * x.ln() - gln).exp() * h
    }
}

/// Sample quantile by the inverse of the empirical distribution function
/// (R `quantile(type = 1)`, NumPy `method = "inverted_cdf"`). Sorts `xs`.
///
/// ```
/// use sejahtera_evaluate::stats::quantile_inverted_cdf;
/// let mut v = vec![4.0, 1.0, 3.0, 2.0];
/// assert_eq!(quantile_inverted_cdf(&mut v, 0.5), 2.0);
/// assert_eq!(quantile_inverted_cdf(&mut v, 0.75), 3.0);
/// ```
pub fn quantile_inverted_cdf(xs: &mut [f64], p: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(|a, b| a.total_cmp(b));
    let n = xs.len();
    let pos = (p * n as f64).ceil() as usize;
    xs[pos.clamp(1, n) - 1]
}
