//! The device's DICOM configuration, as firmware keeps it in flash: [`postcard`] bytes.

use dimse_core::assoc::{AcceptorPolicy, Limits};
use dimse_core::pdu::AeTitle;
use dimse_core::service::display::DisplaySystem;
use heapless::String;
use serde::{Deserialize, Serialize};

/// The first byte of [`DeviceConfig::to_postcard`]'s output: the layout's version. Postcard
/// is not self-describing, so a firmware update that changes the struct must bump it (and
/// can still read the old layout by its version).
pub const CONFIG_FORMAT: u8 = 1;

/// The longest [`DeviceConfig::to_postcard`] output: a buffer this large always suffices.
pub const MAX_CONFIG_LEN: usize = 1 // CONFIG_FORMAT
    + 1 + 16 // AE title: length, characters
    + 3 // port (varint)
    + 1 // check_called_ae
    + 4 * (1 + 64) + (1 + 16) // manufacturer, model, serial number, institution; station
    + 3 * 5 + 1 + 4 * 10; // limits: three u32 and four u64 varints, one u8

/// What a display device needs to answer on the network: its AE title and port, the identity
/// it reports in the Display System, and the association limits.
///
/// Serialized with serde into [`postcard`] (strings are `heapless`, nothing allocates):
/// [`DeviceConfig::to_postcard`] and [`DeviceConfig::from_postcard`], with a leading format
/// byte ([`CONFIG_FORMAT`]).
///
/// ```
/// use dimse_core::pdu::AeTitle;
/// use dimse_core::service::display::DEMO;
/// use dimse_core::service::{DISPLAY_SYSTEM, VERIFICATION};
/// use dimse_embassy::{DeviceConfig, MAX_CONFIG_LEN};
///
/// // At the factory, or from a configuration tool: into a flash page.
/// let mut config = DeviceConfig::new(AeTitle::new("DISPLAY").unwrap());
/// config.serial_number = "SN-0001".try_into().unwrap();
/// let mut page = [0xFF; MAX_CONFIG_LEN];
/// let bytes = config.to_postcard(&mut page)?;
/// assert_eq!(bytes.len(), 43);
///
/// // At boot: back from flash, into the policy and the Display System's identity.
/// let stored = DeviceConfig::from_postcard(&page)?;
/// static SERVED: [&str; 2] = [DISPLAY_SYSTEM, VERIFICATION];
/// let policy = stored.policy(&SERVED);
/// let display = stored.identify(DEMO);
/// assert_eq!(display.device_serial_number, "SN-0001");
/// assert_eq!(policy.ae_title, config.ae_title);
/// # Ok::<(), dimse_embassy::ConfigError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct DeviceConfig {
    /// Our AE title.
    pub ae_title: AeTitle,
    /// The TCP port (11112 by default: 104 needs root on the peers' side of a PC).
    pub port: u16,
    /// Reject associations that call another AE title than ours (1/1/7).
    pub check_called_ae: bool,
    /// Manufacturer (0008,0070).
    pub manufacturer: String<64>,
    /// Manufacturer's Model Name (0008,1090).
    pub model_name: String<64>,
    /// Device Serial Number (0018,1000).
    pub serial_number: String<64>,
    /// Institution Name (0008,0080).
    pub institution_name: String<64>,
    /// Station Name (0008,1010).
    pub station_name: String<16>,
    /// Maximum PDU length, timeouts, and the other bounds of one association. The PDU
    /// timeout is not stored: read back, it is the network timeout.
    pub limits: Limits,
}

/// Why a configuration could not be stored or read.
#[derive(Debug, Clone, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum ConfigError {
    /// Postcard could not encode (buffer too small) or decode (truncated, corrupt) it.
    Postcard(postcard::Error),
    /// The bytes carry another layout version than [`CONFIG_FORMAT`].
    UnsupportedFormat(u8),
    /// Port 0.
    InvalidPort,
    /// A maximum PDU length of 0 (that would mean "no limit", which the core refuses).
    InvalidLimits,
}

impl From<postcard::Error> for ConfigError {
    fn from(e: postcard::Error) -> Self {
        ConfigError::Postcard(e)
    }
}

impl core::fmt::Display for ConfigError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            ConfigError::Postcard(e) => write!(f, "postcard: {e}"),
            ConfigError::UnsupportedFormat(v) => write!(f, "unsupported configuration format {v}"),
            ConfigError::InvalidPort => f.write_str("port 0"),
            ConfigError::InvalidLimits => f.write_str("maximum PDU length 0"),
        }
    }
}

impl DeviceConfig {
    /// `ae_title` on port 11112, the core's default limits, no identity yet.
    pub fn new(ae_title: AeTitle) -> Self {
        DeviceConfig {
            ae_title,
            port: 11112,
            check_called_ae: false,
            manufacturer: String::new(),
            model_name: String::new(),
            serial_number: String::new(),
            institution_name: String::new(),
            station_name: String::new(),
            limits: Limits::DEFAULT,
        }
    }

    /// Checks what the types cannot.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if self.port == 0 {
            return Err(ConfigError::InvalidPort);
        }
        if self.limits.max_pdu_length == 0 {
            return Err(ConfigError::InvalidLimits);
        }
        Ok(())
    }

    /// Encodes into `buf` ([`MAX_CONFIG_LEN`] bytes always suffice) and returns the bytes
    /// written: [`CONFIG_FORMAT`], then the struct in postcard.
    pub fn to_postcard<'b>(&self, buf: &'b mut [u8]) -> Result<&'b [u8], ConfigError> {
        let used = postcard::to_slice(&(CONFIG_FORMAT, self), buf)?;
        Ok(used)
    }

    /// As [`DeviceConfig::to_postcard`], into a `heapless::Vec`.
    pub fn to_postcard_vec<const N: usize>(&self) -> Result<heapless::Vec<u8, N>, ConfigError> {
        Ok(postcard::heapless_v0_9::to_vec(&(CONFIG_FORMAT, self))?)
    }

    /// Decodes what [`DeviceConfig::to_postcard`] wrote, and [validates](Self::validate) it.
    /// Bytes after the configuration (the rest of a flash page) are ignored.
    pub fn from_postcard(bytes: &[u8]) -> Result<Self, ConfigError> {
        let (format, rest) = postcard::take_from_bytes::<u8>(bytes)?;
        if format != CONFIG_FORMAT {
            return Err(ConfigError::UnsupportedFormat(format));
        }
        let (mut config, _) = postcard::take_from_bytes::<DeviceConfig>(rest)?;
        // Not stored (the format predates it): a PDU gets as long as silence may last.
        config.limits.pdu_timeout = config.limits.network_timeout;
        config.validate()?;
        Ok(config)
    }

    /// An acceptor policy serving `abstract_syntaxes` under this configuration.
    pub fn policy<'a>(&self, abstract_syntaxes: &'a [&'a str]) -> AcceptorPolicy<'a> {
        let mut policy = AcceptorPolicy::new(self.ae_title, abstract_syntaxes);
        policy.check_called_ae = self.check_called_ae;
        policy.limits = self.limits;
        policy
    }

    /// `model` with this configuration's identity: manufacturer, model name, serial number,
    /// institution and station names (the configuration's empty strings keep `model`'s).
    pub fn identify<'a>(&'a self, model: DisplaySystem<'a>) -> DisplaySystem<'a> {
        let or = |ours: &'a str, theirs: &'a str| if ours.is_empty() { theirs } else { ours };
        DisplaySystem {
            manufacturer: or(&self.manufacturer, model.manufacturer),
            manufacturer_model_name: or(&self.model_name, model.manufacturer_model_name),
            device_serial_number: or(&self.serial_number, model.device_serial_number),
            institution_name: or(&self.institution_name, model.institution_name),
            station_name: or(&self.station_name, model.station_name),
            ..model
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dimse_core::service::display::DEMO;

    fn example() -> DeviceConfig {
        let mut c = DeviceConfig::new(AeTitle::new("DISPLAY").unwrap());
        c.manufacturer = String::try_from("ACME").unwrap();
        c.model_name = String::try_from("QA-1").unwrap();
        c.serial_number = String::try_from("SN-0001").unwrap();
        c.station_name = String::try_from("READ1").unwrap();
        c
    }

    /// The exact bytes, worked out by hand from postcard's wire format (varints for integers
    /// wider than a byte, length-prefixed strings, fields in order, no names), so that a change
    /// of layout cannot pass unnoticed: firmware in the field holds these bytes.
    #[rustfmt::skip]
    const EXAMPLE: [u8; 56] = [
        0x01,                                           // CONFIG_FORMAT
        0x07, b'D', b'I', b'S', b'P', b'L', b'A', b'Y', // ae_title
        0xE8, 0x56,                                     // port 11112 (varint)
        0x00,                                           // check_called_ae
        0x04, b'A', b'C', b'M', b'E',                   // manufacturer
        0x04, b'Q', b'A', b'-', b'1',                   // model_name
        0x07, b'S', b'N', b'-', b'0', b'0', b'0', b'1', // serial_number
        0x00,                                           // institution_name
        0x05, b'R', b'E', b'A', b'D', b'1',             // station_name
        0xFE, 0x7F,                                     // limits.max_pdu_length 16382
        0x80, 0x80, 0x04,                               // max_associate_length 65536
        0x80,                                           // max_presentation_contexts 128 (u8: a plain byte)
        0x08,                                           // min_peer_max_pdu_length 8
        0xB0, 0xEA, 0x01,                               // artim_timeout 30000 ms
        0xB0, 0xEA, 0x01,                               // acse_timeout 30000 ms
        0xE0, 0xD4, 0x03,                               // network_timeout 60000 ms
        0xB0, 0xEA, 0x01,                               // dimse_timeout 30000 ms
    ];

    #[test]
    fn postcard_bytes_are_exact_and_round_trip() {
        let config = example();
        let mut buf = [0u8; MAX_CONFIG_LEN];
        let bytes = config.to_postcard(&mut buf).unwrap();
        assert_eq!(bytes, &EXAMPLE[..]);
        assert_eq!(DeviceConfig::from_postcard(&EXAMPLE).unwrap(), config);
        let v: heapless::Vec<u8, MAX_CONFIG_LEN> = config.to_postcard_vec().unwrap();
        assert_eq!(&v[..], &EXAMPLE[..]);
        // A flash page holds more than the configuration: the rest is ignored.
        let mut page = [0xFFu8; 128];
        page[..EXAMPLE.len()].copy_from_slice(&EXAMPLE);
        assert_eq!(DeviceConfig::from_postcard(&page).unwrap(), config);
    }

    #[test]
    fn the_longest_configuration_fits_max_config_len() {
        let long = |n| {
            let mut s = String::<64>::new();
            for _ in 0..n {
                s.push('X').unwrap();
            }
            s
        };
        let mut config = DeviceConfig::new(AeTitle::new("ABCDEFGHIJKLMNOP").unwrap());
        config.port = u16::MAX;
        config.manufacturer = long(64);
        config.model_name = long(64);
        config.serial_number = long(64);
        config.institution_name = long(64);
        config.station_name = String::try_from("ABCDEFGHIJKLMNOP").unwrap();
        config.limits.max_pdu_length = u32::MAX;
        config.limits.max_associate_length = u32::MAX;
        config.limits.min_peer_max_pdu_length = u32::MAX;
        config.limits.artim_timeout = dimse_core::Duration::from_millis(u64::MAX);
        config.limits.acse_timeout = dimse_core::Duration::from_millis(u64::MAX);
        config.limits.network_timeout = dimse_core::Duration::from_millis(u64::MAX);
        config.limits.dimse_timeout = dimse_core::Duration::from_millis(u64::MAX);
        // Not stored: it comes back as the network timeout.
        config.limits.pdu_timeout = config.limits.network_timeout;
        let mut buf = [0u8; MAX_CONFIG_LEN];
        let bytes = config.to_postcard(&mut buf).unwrap();
        assert_eq!(bytes.len(), MAX_CONFIG_LEN);
        assert_eq!(DeviceConfig::from_postcard(bytes).unwrap(), config);
    }

    #[test]
    fn wrong_format_truncation_and_invalid_values_are_refused() {
        let mut bytes = EXAMPLE;
        bytes[0] = 2;
        assert_eq!(
            DeviceConfig::from_postcard(&bytes),
            Err(ConfigError::UnsupportedFormat(2))
        );
        assert!(matches!(
            DeviceConfig::from_postcard(&EXAMPLE[..30]),
            Err(ConfigError::Postcard(_))
        ));
        let mut zero_port = example();
        zero_port.port = 0;
        let mut buf = [0u8; MAX_CONFIG_LEN];
        let bytes = zero_port.to_postcard(&mut buf).unwrap();
        assert_eq!(
            DeviceConfig::from_postcard(bytes),
            Err(ConfigError::InvalidPort)
        );
        // An AE title the core refuses (17 characters) is a decoding error.
        let mut long_ae = EXAMPLE.to_vec();
        long_ae.splice(1..9, *b"\x11ABCDEFGHIJKLMNOPQ");
        assert!(DeviceConfig::from_postcard(&long_ae).is_err());
        assert!(matches!(
            example().to_postcard(&mut [0u8; 10]),
            Err(ConfigError::Postcard(_))
        ));
    }

    #[test]
    fn policy_and_identity_follow_the_configuration() {
        static SERVED: [&str; 1] = [dimse_core::service::DISPLAY_SYSTEM];
        let mut config = example();
        config.check_called_ae = true;
        config.limits.max_pdu_length = 8192;
        let policy = config.policy(&SERVED);
        assert_eq!(policy.ae_title, config.ae_title);
        assert!(policy.check_called_ae);
        assert_eq!(policy.limits.max_pdu_length, 8192);
        let display = config.identify(DEMO);
        assert_eq!(display.manufacturer, "ACME");
        assert_eq!(display.device_serial_number, "SN-0001");
        assert_eq!(display.institution_name, DEMO.institution_name);
        assert_eq!(
            display.display_subsystems.len(),
            DEMO.display_subsystems.len()
        );
    }
}
