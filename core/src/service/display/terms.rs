//! The value sets of the Display System IOD (PS3.3 C.32) as enums.
//!
//! Each enum lists the terms the standard defines (for System Status, the terms this crate
//! uses; see [`SystemStatus`]), so a model built from them cannot put anything else on the
//! wire. `as_str` gives the term as encoded (CS, upper case, no
//! padding); `from_term` is its inverse, for a requestor reading a response.

macro_rules! terms {
    (
        $(#[$doc:meta])*
        $name:ident {
            $( $(#[$vdoc:meta])* $variant:ident = $term:literal, )*
        }
    ) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[cfg_attr(feature = "defmt", derive(defmt::Format))]
        pub enum $name {
            $( $(#[$vdoc])* $variant, )*
        }

        impl $name {
            /// Every term, in the standard's order.
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            /// The term as written on the wire.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $term,)*
                }
            }

            /// The value for `term` (without padding); `None` for a term the standard does not
            /// define here.
            pub fn from_term(term: &str) -> Option<Self> {
                match term {
                    $($term => Some($name::$variant),)*
                    _ => None,
                }
            }
        }
    };
}

terms! {
    /// System Status (0028,7006): the current overall status of a Display Subsystem
    /// (PS3.3 C.32.1.1, Defined Terms).
    ///
    /// These three are the status values this crate writes and reads. C.32.1.1 gives Defined
    /// Terms, which a peer may extend, and this list was not compared with it: a term outside
    /// these three makes [`SystemStatus::from_term`] return `None`.
    SystemStatus {
        /// `OK`: the subsystem works as intended.
        Ok = "OK",
        /// `WARNING`: the subsystem works but needs attention (for example a QA test is due).
        Warning = "WARNING",
        /// `FAILED`: the subsystem is not fit for use.
        Failed = "FAILED",
    }
}

terms! {
    /// Display Function Type (0028,7019): the shape of a target luminance curve
    /// (PS3.3 C.32.2.1, Enumerated Values).
    DisplayFunctionType {
        /// `GSDF`: the Grayscale Standard Display Function of PS3.14.
        Gsdf = "GSDF",
        /// `CIELAB`: perceptually linear in CIE L*.
        Cielab = "CIELAB",
        /// `GAMMA`: a power law; Gamma Value (0028,701A) is then required.
        Gamma = "GAMMA",
        /// `LINEAR`: luminance linear in DDL.
        Linear = "LINEAR",
        /// `LOG10`: log-luminance linear in DDL.
        Log10 = "LOG10",
        /// `SRGB`: the sRGB transfer function.
        Srgb = "SRGB",
        /// `USER_DEFINED`: the curve is the Luminance Response Sequence (0028,701C).
        UserDefined = "USER_DEFINED",
    }
}

terms! {
    /// Measurement Functions (0028,7013): what a piece of measurement equipment can measure
    /// (PS3.3 C.32.1, Enumerated Values; multi-valued, at most one of each).
    MeasurementFunction {
        /// `PHOTOMETER`: light intensity (luminance).
        Photometer = "PHOTOMETER",
        /// `COLORIMETER`: energy along the visible spectrum (chromaticity).
        Colorimeter = "COLORIMETER",
        /// `ILLUMINOMETER`: illumination (ambient light).
        Illuminometer = "ILLUMINOMETER",
    }
}

terms! {
    /// Measured Characteristics (0028,7026): what a piece of measurement equipment is used
    /// for (PS3.3 C.32.1, Enumerated Values; multi-valued, at most one of each).
    MeasuredCharacteristic {
        /// `UNIFORMITY`: luminance uniformity across the screen.
        Uniformity = "UNIFORMITY",
        /// `LUMINANCE`: the luminance response.
        Luminance = "LUMINANCE",
        /// `CHROMATICITY`: the white point and colour.
        Chromaticity = "CHROMATICITY",
        /// `ILLUMINANCE`: the ambient light.
        Illuminance = "ILLUMINANCE",
    }
}

terms! {
    /// Ambient Light Value Source (0028,7025): where a Reflected Ambient Light value comes
    /// from (PS3.3 C.32.2 and C.32.3.4, Enumerated Values).
    AmbientLightValueSource {
        /// `DEFAULT`: a default value of the system.
        Default = "DEFAULT",
        /// `MEASURED`: measured by the system's equipment.
        Measured = "MEASURED",
        /// `PROVIDED`: entered by a user.
        Provided = "PROVIDED",
    }
}

terms! {
    /// White Point Flag (0028,7021): whether a luminance uniformity result carries
    /// CIExy White Point values (PS3.3 C.32.3.3, Enumerated Values).
    WhitePointFlag {
        /// `YES`: every point has a CIExy White Point (0028,7018).
        Yes = "YES",
        /// `NO`: no point has one.
        No = "NO",
    }
}

terms! {
    /// Test Result (0028,7029): the outcome of one visual evaluation test
    /// (PS3.3 C.32.3.2, Enumerated Values).
    TestResult {
        /// `PASS`.
        Pass = "PASS",
        /// `FAIL`.
        Fail = "FAIL",
        /// `SKIP`: the test was not performed.
        Skip = "SKIP",
    }
}

terms! {
    /// Test Image Validation (0028,702B): whether the test image shown matched the
    /// referenced one (PS3.3 C.32.3.2, Enumerated Values).
    TestImageValidation {
        /// `MATCHED`.
        Matched = "MATCHED",
        /// `UNMATCHED`.
        Unmatched = "UNMATCHED",
    }
}
