//! Transfer functions (`how`): how aggregate values map to positions along the colormap.
//!
//! As in Datashader's `_interpolate_lookup`, the input is `count - min_count` (the minimum
//! non-zero count of the whole canvas is subtracted first) converted to float64:
//! `linear` keeps it, `log` is `log1p`, `cbrt` is `x ** (1/3)` (C's `pow`), and `eq-hist`
//! is histogram equalisation (see [`crate::shade::shader`]).
//!
//! `log1p` and `pow` are the platform C library's, as numpy's scalar loops use them. numpy
//! builds with AVX-512 dispatch (SVML) may differ in the last bit on some inputs, which can
//! move a colour channel by one unit in rare pixels; on other CPUs the results are the same.

use std::fmt;
use std::str::FromStr;

/// Datashader's `how`: the transform applied to (value - minimum) before colour mapping.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum How {
    /// Histogram equalisation over the whole canvas (Datashader's default).
    #[default]
    EqHist,
    /// Linear.
    Linear,
    /// log1p.
    Log,
    /// Cube root.
    Cbrt,
}

impl How {
    /// Every `how`, in the order the CLI lists them.
    pub const ALL: [How; 4] = [How::EqHist, How::Linear, How::Log, How::Cbrt];

    /// The canonical name (`eq-hist`, `linear`, `log`, `cbrt`).
    pub fn name(self) -> &'static str {
        match self {
            How::EqHist => "eq-hist",
            How::Linear => "linear",
            How::Log => "log",
            How::Cbrt => "cbrt",
        }
    }

    /// The pointwise transform of `linear`, `log` and `cbrt` applied to an offset count
    /// (`count - min`), exactly as numpy computes it in float64; None for `eq-hist`, which
    /// depends on the whole distribution.
    pub fn pointwise(self, offset_count: u32) -> Option<f64> {
        let x = f64::from(offset_count);
        match self {
            How::EqHist => None,
            How::Linear => Some(x),
            How::Log => Some(x.ln_1p()),
            How::Cbrt => Some(x.powf(1.0 / 3.0)),
        }
    }
}

impl FromStr for How {
    type Err = String;
    /// Accepts `eq-hist` (or `eq_hist`), `linear`, `log`, `cbrt`.
    fn from_str(text: &str) -> Result<How, String> {
        match text.trim().to_ascii_lowercase().as_str() {
            "eq-hist" | "eq_hist" | "eqhist" => Ok(How::EqHist),
            "linear" => Ok(How::Linear),
            "log" => Ok(How::Log),
            "cbrt" => Ok(How::Cbrt),
            _ => {
                Err(format!("unknown shading transform '{text}': expected one of eq-hist, linear, log, cbrt"))
            }
        }
    }
}

impl fmt::Display for How {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_displays() {
        assert_eq!("eq-hist".parse::<How>(), Ok(How::EqHist));
        assert_eq!("eq_hist".parse::<How>(), Ok(How::EqHist));
        assert_eq!("Linear".parse::<How>(), Ok(How::Linear));
        assert_eq!("log".parse::<How>(), Ok(How::Log));
        assert_eq!("cbrt".parse::<How>(), Ok(How::Cbrt));
        for how in How::ALL {
            assert_eq!(how.to_string().parse::<How>(), Ok(how));
        }
        assert_eq!(How::EqHist.to_string(), "eq-hist");
        assert_eq!(How::default(), How::EqHist);
        let err = "sqrt".parse::<How>().unwrap_err();
        assert_eq!(err, "unknown shading transform 'sqrt': expected one of eq-hist, linear, log, cbrt");
    }

    #[test]
    fn serde_names_are_kebab_case() {
        assert_eq!(serde_json::to_string(&How::EqHist).unwrap(), "\"eq-hist\"");
        assert_eq!(serde_json::from_str::<How>("\"cbrt\"").unwrap(), How::Cbrt);
    }

    #[test]
    fn pointwise_matches_numpy() {
        // np.log1p(np.float64(3)), np.float64(27) ** (1/3.) on a libm build
        assert_eq!(How::Log.pointwise(3), Some(1.3862943611198906));
        assert_eq!(How::Cbrt.pointwise(8), Some(2.0));
        assert_eq!(How::Cbrt.pointwise(27), Some(3.0));
        assert_eq!(How::Linear.pointwise(7), Some(7.0));
        assert_eq!(How::EqHist.pointwise(7), None);
    }
}
