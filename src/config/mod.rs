//! The configuration file of `dimse serve [--config FILE]`: the server's settings and the
//! display it serves, in TOML (`*.toml`) or JSON (`*.json`).
//!
//! # The file
//!
//! The top level holds the server's settings, each optional with the default of the design
//! (pynetdicom's and DCMTK's habits), and the `display` table describes the Display System
//! the server answers N-GET requests about. A TOML file, shortened (the whole of it is
//! `examples/display.toml`; `examples/display.json` is the same in JSON):
//!
//! ```toml
//! ae_title = "DISPLAY"              # default "DISPLAY"
//! port = 11112                      # default 11112
//! calling_ae_allow_list = ["QA_SCU"]  # default: any calling AE title
//!
//! [display]
//! manufacturer = "Example Displays"
//! manufacturer_model_name = "EDS-DX2 Diagnostic Station"
//! device_serial_number = "EDSDX2-2023-00417"
//! institution_name = "Example General Hospital"
//! institution_address = "1 Example Way, Springfield"
//! station_name = "RAD-READ-07"
//!
//! [[display.target_luminance_characteristics]]
//! id = 1
//! display_function_type = "GSDF"
//! target_minimum_luminance = 0.5
//! target_maximum_luminance = 400.0
//! cie_xy_white_point = [0.3127, 0.329]
//!
//! [[display.display_subsystems]]
//! id = 1
//! name = "LEFT"
//! system_status = "OK"
//! current_configuration_id = 1
//! display_device_type = { value = "109992", scheme_designator = "DCM", meaning = "Liquid Crystal Display" }
//! configurations = [
//!   { id = 1, name = "DICOM", description = "GSDF 0.5-400 cd/m2", target_luminance_characteristics_id = 1 },
//! ]
//! ```
//!
//! * **Server settings** ([`ServerConfig`]): every key may be left out and takes its default
//!   ([`ServerConfig::default`]). Timeouts are whole milliseconds (`acse_timeout_ms = 30000`),
//!   the core's own resolution: exact, and no unit to parse.
//! * **The display** ([`DisplayConfig`] and the `Owned*` structs it holds): the core's
//!   Display System model ([`dimse_core::service::display`]) field for field, with the same
//!   names. Keys the core writes with a value (usage 1) must be given; those that may be
//!   empty or absent may be left out. Without a `display` table the server serves the core's
//!   [`DEMO`](dimse_core::service::display::DEMO) ([`DisplayConfig::demo`]).
//! * **Terms** of the standard's value sets are strings, checked against the core's enums:
//!   `system_status = "OK"`, `display_function_type = "GSDF"`. Anything else is an error that
//!   lists the allowed terms.
//! * **Unknown keys are errors**, at every level, so that a typo does not silently leave a
//!   default in place.
//!
//! # Loading
//!
//! [`load`] reads a file, parses it by its extension, and [validates](ServerConfig::validate)
//! the result: AE titles, limits, every string against its value representation (lengths,
//! characters, DA/DT/UI formats), unique IDs, references between IDs, and the conditions
//! between attributes, by the core's
//! [`validate`](dimse_core::service::display::validate()) on the model built from the file.
//! Every error names the file and the
//! field: parse errors with serde's message (TOML: line, column and the key; JSON: line and
//! column), validation errors with the field's path, such as
//! `display.display_subsystems[1].current_configuration_id`.
//!
//! [`to_toml`] writes a configuration back out, for `dimse serve --print-config`.
//!
//! # Use
//!
//! ```
//! use dimse::config::{parse, Format, ServerConfig};
//! use dimse::core::dataset::{Encoding, Writer};
//!
//! // What `load` does with a file's text, here without a file.
//! let config = parse("port = 4242\ncalling_ae_allow_list = [\"QA_SCU\"]", Format::Toml)?;
//! assert_eq!(config.port, 4242);
//! assert_eq!(config.ae_title()?.as_str(), Some("DISPLAY"));
//! assert_eq!(config.display, ServerConfig::default().display); // the demo
//!
//! // The display writes itself as the N-GET data set.
//! let mut buf = [0u8; 4096];
//! let mut w = Writer::new(&mut buf, Encoding::ExplicitVrLittleEndian);
//! assert!(w.write(&config.display).is_ok());
//!
//! // Mistakes name the field.
//! let e = parse("max_pdu_length = 0", Format::Toml).unwrap_err();
//! assert!(e.to_string().starts_with("configuration: max_pdu_length: 0 is below 8"));
//! # Ok::<(), dimse::config::ConfigError>(())
//! ```

mod display;
mod terms;
mod validate;

#[cfg(test)]
mod tests;

use std::fmt;
use std::path::{Path, PathBuf};

use dimse_core::assoc::Limits;
use dimse_core::pdu::AeTitle;
use dimse_core::Duration;
use serde::{Deserialize, Serialize};

pub use display::{
    DisplayConfig, OwnedAmbientLight, OwnedCode, OwnedConfigurationQaResults,
    OwnedDisplayCalibrationResult, OwnedDisplaySubsystem, OwnedDisplaySubsystemConfiguration,
    OwnedDisplaySubsystemQaResults, OwnedEquipmentAdministrator, OwnedHumanPerformer,
    OwnedLuminanceMeasurement, OwnedLuminancePoint, OwnedLuminanceResult,
    OwnedLuminanceUniformityResult, OwnedMeasurementEquipment, OwnedReferencedImage,
    OwnedResultContext, OwnedTargetLuminanceCharacteristics, OwnedUniformityPoint,
    OwnedVisualEvaluationResult, OwnedVisualEvaluationTest,
};

/// The AE title the server answers as when none is configured.
pub const DEFAULT_AE_TITLE: &str = "DISPLAY";
/// The TCP port when none is configured: 11112, the registered DICOM port that needs no
/// privileges (104 does).
pub const DEFAULT_PORT: u16 = 11112;
/// The most associations served at once when nothing else is configured.
pub const DEFAULT_MAX_ASSOCIATIONS: usize = 32;
/// The smallest `max_pdu_length` accepted: a P-DATA-TF PDU of this length carries a PDV
/// header and a two-byte fragment, the least a peer can send within it. It is the core's own
/// floor for a peer's maximum ([`Limits::min_peer_max_pdu_length`]). 0, which the standard
/// reads as "no limit" and the core's [`Limits::max_pdu_length`] takes, is refused here: a
/// server has the room it advertises, and a configured 0 is more likely a slip.
pub const MIN_MAX_PDU_LENGTH: u32 = Limits::DEFAULT.min_peer_max_pdu_length;

/// Everything `dimse serve` needs: who the server is, its limits, and the display it serves.
///
/// Every field has a default ([`ServerConfig::default`]): the design's defaults for the
/// server and [`DisplayConfig::demo`] for the display, so `dimse serve` without a file and
/// with an empty one serve the same.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServerConfig {
    /// Our AE title: 1 to 16 characters of ASCII other than backslash. Default
    /// [`DEFAULT_AE_TITLE`].
    pub ae_title: String,
    /// Reject an association whose called AE title is not `ae_title` (A-ASSOCIATE-RJ
    /// 1/1/7). Default `false`: any called AE title, as pynetdicom and DCMTK accept.
    pub check_called_ae: bool,
    /// When present, only these calling AE titles are accepted (others: A-ASSOCIATE-RJ
    /// 1/1/3). Default: absent, any calling AE title.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub calling_ae_allow_list: Option<Vec<String>>,
    /// TCP port to listen on; not 0. Default [`DEFAULT_PORT`].
    pub port: u16,
    /// The most associations at once; beyond it an association is rejected (transient,
    /// local limit exceeded). At least 1. Default [`DEFAULT_MAX_ASSOCIATIONS`].
    pub max_associations: usize,
    /// Maximum-length-received we advertise, in bytes: the largest P-DATA-TF PDU we accept.
    /// At least [`MIN_MAX_PDU_LENGTH`]. Default 16382, the core's
    /// [`Limits::DEFAULT`].
    pub max_pdu_length: u32,
    /// ARTIM timeout in milliseconds: waiting for the A-ASSOCIATE-RQ after a connection, and
    /// for the peer to close after a release or an abort. Default 30000.
    pub artim_timeout_ms: u64,
    /// ACSE timeout in milliseconds: waiting for an association or release answer. Default
    /// 30000.
    pub acse_timeout_ms: u64,
    /// DIMSE timeout in milliseconds: how long an answer to a request may take. Default
    /// 30000.
    pub dimse_timeout_ms: u64,
    /// Network timeout in milliseconds: silence on an established association before it is
    /// aborted. Default 60000.
    pub network_timeout_ms: u64,
    /// The display served. Default: [`DisplayConfig::demo`].
    pub display: DisplayConfig,
    /// Accept this username and passcode (User Identity type 2, PS3.7 D.3.3.7); a request
    /// with other credentials is rejected (A-ASSOCIATE-RJ 1/2/1). The passcode travels in
    /// clear unless `tls` is set. Default: absent, identities are ignored.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_identity: Option<Credentials>,
    /// Reject associations that carry no user identity (needs `user_identity`). Default
    /// `false`.
    pub require_user_identity: bool,
    /// Serve DICOM over TLS only (PS3.15 Annex B): PEM files of the certificate chain and its
    /// private key. Plain connections then fail their TLS handshake and get no association.
    /// Default: absent, plain TCP.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsFiles>,
}

/// A username and passcode.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    /// The username (primary field).
    pub username: String,
    /// The passcode (secondary field).
    pub passcode: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret.
        f.debug_struct("Credentials")
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

/// The PEM files of a TLS server.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsFiles {
    /// The certificate chain, leaf first.
    pub certificate: std::path::PathBuf,
    /// The private key (PKCS#8, PKCS#1 or SEC1).
    pub private_key: std::path::PathBuf,
}

impl Default for ServerConfig {
    fn default() -> Self {
        let limits = Limits::DEFAULT;
        ServerConfig {
            ae_title: DEFAULT_AE_TITLE.to_owned(),
            check_called_ae: false,
            calling_ae_allow_list: None,
            port: DEFAULT_PORT,
            max_associations: DEFAULT_MAX_ASSOCIATIONS,
            max_pdu_length: limits.max_pdu_length,
            artim_timeout_ms: limits.artim_timeout.as_millis(),
            acse_timeout_ms: limits.acse_timeout.as_millis(),
            dimse_timeout_ms: limits.dimse_timeout.as_millis(),
            network_timeout_ms: limits.network_timeout.as_millis(),
            display: DisplayConfig::demo(),
            user_identity: None,
            require_user_identity: false,
            tls: None,
        }
    }
}

impl ServerConfig {
    /// Checks everything [`load`] checks after parsing: the AE titles, the limits, and the
    /// display (see the [module documentation](self#loading)). The error names the first
    /// field that fails.
    pub fn validate(&self) -> Result<(), ConfigError> {
        self.ae_title()?;
        self.calling_ae_titles()?;
        let positive = [
            ("port", u64::from(self.port)),
            ("max_associations", self.max_associations as u64),
            ("artim_timeout_ms", self.artim_timeout_ms),
            ("acse_timeout_ms", self.acse_timeout_ms),
            ("dimse_timeout_ms", self.dimse_timeout_ms),
            ("network_timeout_ms", self.network_timeout_ms),
        ];
        for (field, value) in positive {
            if value == 0 {
                return Err(validate::invalid(field, "must not be 0").into());
            }
        }
        if self.max_pdu_length < MIN_MAX_PDU_LENGTH {
            return Err(validate::invalid(
                "max_pdu_length",
                format!(
                    "{} is below {MIN_MAX_PDU_LENGTH}, the least that carries a PDV \
                     (0, \"no limit\", is not supported); the usual value is 16382",
                    self.max_pdu_length
                ),
            )
            .into());
        }
        if self.require_user_identity && self.user_identity.is_none() {
            return Err(validate::invalid(
                "require_user_identity",
                "needs `user_identity` (the username and passcode to accept)",
            )
            .into());
        }
        if let Some(c) = &self.user_identity {
            if c.username.is_empty() || c.passcode.is_empty() {
                return Err(validate::invalid(
                    "user_identity",
                    "username and passcode must not be empty",
                )
                .into());
            }
        }
        validate::display(&self.display)?;
        Ok(())
    }

    /// Our AE title, checked.
    pub fn ae_title(&self) -> Result<AeTitle, ConfigError> {
        ae_title("ae_title", &self.ae_title)
    }

    /// The calling AE titles accepted, checked; `None` accepts any.
    pub fn calling_ae_titles(&self) -> Result<Option<Vec<AeTitle>>, ConfigError> {
        let Some(list) = &self.calling_ae_allow_list else {
            return Ok(None);
        };
        if list.is_empty() {
            return Err(validate::invalid(
                "calling_ae_allow_list",
                "is empty, which would refuse every association; leave it out to accept any \
                 calling AE title",
            )
            .into());
        }
        list.iter()
            .enumerate()
            .map(|(i, title)| ae_title(&format!("calling_ae_allow_list[{i}]"), title))
            .collect::<Result<Vec<_>, _>>()
            .map(Some)
    }

    /// The core's limits with this configuration's maximum PDU length and timeouts, and the
    /// core's defaults for the rest.
    pub fn limits(&self) -> Limits {
        Limits {
            max_pdu_length: self.max_pdu_length,
            artim_timeout: Duration::from_millis(self.artim_timeout_ms),
            acse_timeout: Duration::from_millis(self.acse_timeout_ms),
            dimse_timeout: Duration::from_millis(self.dimse_timeout_ms),
            network_timeout: Duration::from_millis(self.network_timeout_ms),
            // A PDU gets as long from its first byte as silence is allowed to last.
            pdu_timeout: Duration::from_millis(self.network_timeout_ms),
            ..Limits::DEFAULT
        }
    }
}

fn ae_title(field: &str, title: &str) -> Result<AeTitle, ConfigError> {
    AeTitle::new(title).ok_or_else(|| {
        validate::invalid(
            field,
            format!(
                "\"{title}\" is not a valid AE title: 1 to 16 characters of ASCII other than \
                 backslash and control characters, not all spaces"
            ),
        )
        .into()
    })
}

/// The two file formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// TOML, for files named `*.toml`.
    Toml,
    /// JSON, for files named `*.json`.
    Json,
}

impl Format {
    /// The format a file name's extension names (`.toml` or `.json`, in any case).
    pub fn from_path(path: &Path) -> Option<Format> {
        let extension = path.extension()?.to_str()?;
        if extension.eq_ignore_ascii_case("toml") {
            Some(Format::Toml)
        } else if extension.eq_ignore_ascii_case("json") {
            Some(Format::Json)
        } else {
            None
        }
    }
}

/// Reads, parses and [validates](ServerConfig::validate) the configuration file `path`, in
/// the format its extension names ([`Format::from_path`]).
pub fn load(path: &Path) -> Result<ServerConfig, ConfigError> {
    let with_file = |e: ConfigError| e.in_file(path);
    let format = Format::from_path(path).ok_or_else(|| ConfigError::UnknownFormat {
        file: path.to_owned(),
    })?;
    let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        file: path.to_owned(),
        source,
    })?;
    parse(&text, format).map_err(with_file)
}

/// Parses and [validates](ServerConfig::validate) a configuration held in memory. Errors
/// name no file.
pub fn parse(text: &str, format: Format) -> Result<ServerConfig, ConfigError> {
    let config: ServerConfig = match format {
        Format::Toml => toml::from_str(text).map_err(|e| ConfigError::Parse {
            file: None,
            message: e.to_string().trim_end().to_owned(),
        })?,
        Format::Json => serde_json::from_str(text).map_err(|e| ConfigError::Parse {
            file: None,
            message: e.to_string(),
        })?,
    };
    config.validate()?;
    Ok(config)
}

/// The configuration as a TOML file that [`load`] reads back to the same value: a starting
/// point for one's own (`dimse serve --print-config`).
///
/// # Panics
///
/// Never for a configuration of these types: everything in them has a TOML form.
pub fn to_toml(config: &ServerConfig) -> String {
    let body = toml::to_string(config).expect("every configuration has a TOML form");
    format!(
        "# dimse serve configuration. Server keys left out take their defaults; the [display]\n\
         # table mirrors dimse_core::service::display::DisplaySystem.\n\n{body}"
    )
}

/// The configuration as a JSON file that [`load`] reads back to the same value.
///
/// # Panics
///
/// Never for a configuration of these types: everything in them has a JSON form (a NaN or
/// infinite luminance, which JSON cannot hold, is written as `null` and refused on reading).
pub fn to_json(config: &ServerConfig) -> String {
    serde_json::to_string_pretty(config).expect("every configuration has a JSON form")
}

/// A configuration that cannot be used: unreadable, unparsable, or invalid. Its message
/// names the file (when there is one) and the field.
#[derive(Debug)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file cannot be read.
    Read {
        /// The file.
        file: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The file name ends neither in `.toml` nor in `.json`.
    UnknownFormat {
        /// The file.
        file: PathBuf,
    },
    /// Not TOML or JSON, or not of the expected shape: a missing or unknown key, a wrong
    /// type, a term the standard does not define.
    Parse {
        /// The file, if the text came from one.
        file: Option<PathBuf>,
        /// The parser's message, with the line and column and, for TOML, the key.
        message: String,
    },
    /// Parsed, but a value is not acceptable.
    Invalid {
        /// The file, if the text came from one.
        file: Option<PathBuf>,
        /// The field's path, such as `display.display_subsystems[0].name`.
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl ConfigError {
    /// The file this error is about, if any.
    pub fn file(&self) -> Option<&Path> {
        match self {
            ConfigError::Read { file, .. } | ConfigError::UnknownFormat { file } => Some(file),
            ConfigError::Parse { file, .. } | ConfigError::Invalid { file, .. } => file.as_deref(),
        }
    }

    fn in_file(mut self, path: &Path) -> Self {
        if let ConfigError::Parse { file, .. } | ConfigError::Invalid { file, .. } = &mut self {
            *file = Some(path.to_owned());
        }
        self
    }
}

impl From<validate::Invalid> for ConfigError {
    fn from(e: validate::Invalid) -> Self {
        ConfigError::Invalid {
            file: None,
            field: e.field,
            message: e.message,
        }
    }
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let file = self
            .file()
            .map_or_else(|| "configuration".to_owned(), |p| p.display().to_string());
        match self {
            ConfigError::Read { source, .. } => write!(f, "{file}: cannot read: {source}"),
            ConfigError::UnknownFormat { .. } => write!(
                f,
                "{file}: unknown configuration format: the name must end in .toml or .json"
            ),
            ConfigError::Parse { message, .. } => write!(f, "{file}: {message}"),
            ConfigError::Invalid { field, message, .. } => {
                write!(f, "{file}: {field}: {message}")
            }
        }
    }
}

impl std::error::Error for ConfigError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            ConfigError::Read { source, .. } => Some(source),
            _ => None,
        }
    }
}
