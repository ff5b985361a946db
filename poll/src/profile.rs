//! The outlet tables of PDU profiles: which columns to walk for each
//! vendor's outlet state and current/power readings.

use std::fmt;
use std::str::FromStr;

use snmux_engine::Oid;

/// A PDU vendor profile: the outlet-table columns a poll of its outlets
/// walks (outlet state first, then current and power). OIDs from the
/// vendors' MIBs: APC PowerNet-MIB, Raritan PDU2-MIB, ServerTech
/// Sentry3-MIB and Sentry4-MIB, EATON-EPDU-MIB, CyberPower CPS-MIB, and
/// RFC 3621 POWER-ETHERNET-MIB for PoE switch ports.
///
/// Names as the inventory and `snmux poll --profile` spell them:
/// `apc-rpdu`, `apc-rpdu2`, `apc-masterswitch`, `raritan`, `sentry3`,
/// `sentry4`, `eaton`, `cyberpower`, `poe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PduProfile {
    /// APC Switched Rack PDU (rPDU, PowerNet-MIB `rPDUOutletStatusTable`).
    ApcRpdu,
    /// APC rPDU2 (AP8xxx; `rPDU2OutletSwitchedStatusTable` and
    /// `rPDU2OutletMeteredStatusTable`).
    ApcRpdu2,
    /// APC MasterSwitch (`sPDUOutletCtl`; no readings).
    ApcMasterSwitch,
    /// Raritan PX2/PX3 (PDU2-MIB: switching state and outlet sensors).
    Raritan,
    /// ServerTech Sentry3 (Sentry3-MIB `outletTable`).
    Sentry3,
    /// ServerTech Sentry4 (Sentry4-MIB `st4OutletStatusTable`).
    Sentry4,
    /// Eaton ePDU (EATON-EPDU-MIB outlet tables).
    Eaton,
    /// CyberPower ePDU (CPS-MIB `ePDUOutletStatusTable`).
    CyberPower,
    /// PoE switch ports (RFC 3621 `pethPsePortTable`).
    Poe,
}

/// One column of an outlet table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    /// The MIB object's name, e.g. `rPDUOutletStatusOutletState`.
    pub name: &'static str,
    /// The column's OID (the walk root), dotted.
    pub oid: &'static str,
    /// What its values mean.
    pub meaning: &'static str,
}

const fn col(name: &'static str, oid: &'static str, meaning: &'static str) -> Column {
    Column { name, oid, meaning }
}

const APC_RPDU: &[Column] = &[
    col(
        "rPDUOutletStatusOutletState",
        "1.3.6.1.4.1.318.1.1.12.3.5.1.1.4",
        "1 on, 2 off",
    ),
    col(
        "rPDUOutletStatusLoad",
        "1.3.6.1.4.1.318.1.1.12.3.5.1.1.7",
        "current, 0.1 A",
    ),
];
const APC_RPDU2: &[Column] = &[
    col(
        "rPDU2OutletSwitchedStatusState",
        "1.3.6.1.4.1.318.1.1.26.9.2.3.1.5",
        "1 off, 2 on",
    ),
    col(
        "rPDU2OutletMeteredStatusCurrent",
        "1.3.6.1.4.1.318.1.1.26.9.4.3.1.6",
        "current, 0.1 A",
    ),
    col(
        "rPDU2OutletMeteredStatusPower",
        "1.3.6.1.4.1.318.1.1.26.9.4.3.1.7",
        "power, W",
    ),
];
const APC_MASTERSWITCH: &[Column] = &[col(
    "sPDUOutletCtl",
    "1.3.6.1.4.1.318.1.1.4.4.2.1.3",
    "1 on, 2 off, 4 unknown",
)];
const RARITAN: &[Column] = &[
    col(
        "outletSwitchingState",
        "1.3.6.1.4.1.13742.6.4.1.2.1.3",
        "7 on, 8 off",
    ),
    col(
        "measurementsOutletSensorValue",
        "1.3.6.1.4.1.13742.6.5.4.3.1.4",
        "per sensor type (1 current, 4 voltage, 5 active power), scaled by outletSensorDecimalDigits",
    ),
];
const SENTRY3: &[Column] = &[
    col("outletStatus", "1.3.6.1.4.1.1718.3.2.3.1.5", "0 off, 1 on"),
    col(
        "outletLoadValue",
        "1.3.6.1.4.1.1718.3.2.3.1.7",
        "current, 0.01 A",
    ),
    col("outletPower", "1.3.6.1.4.1.1718.3.2.3.1.14", "power, W"),
];
const SENTRY4: &[Column] = &[
    col(
        "st4OutletState",
        "1.3.6.1.4.1.1718.4.1.8.3.1.1",
        "1 on, 2 off",
    ),
    col(
        "st4OutletCurrent",
        "1.3.6.1.4.1.1718.4.1.8.3.1.3",
        "current, 0.01 A",
    ),
    col(
        "st4OutletActivePower",
        "1.3.6.1.4.1.1718.4.1.8.3.1.7",
        "power, W",
    ),
];
const EATON: &[Column] = &[
    col(
        "outletControlStatus",
        "1.3.6.1.4.1.534.6.6.7.6.6.1.2",
        "0 off, 1 on, 2/3 pending",
    ),
    col(
        "outletCurrent",
        "1.3.6.1.4.1.534.6.6.7.6.4.1.3",
        "current, mA",
    ),
    col("outletWatts", "1.3.6.1.4.1.534.6.6.7.6.5.1.3", "power, W"),
];
const CYBERPOWER: &[Column] = &[
    col(
        "ePDUOutletStatusOutletState",
        "1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4",
        "1 on, 2 off",
    ),
    col(
        "ePDUOutletStatusLoad",
        "1.3.6.1.4.1.3808.1.1.3.3.5.1.1.7",
        "current, 0.1 A",
    ),
    col(
        "ePDUOutletStatusActivePower",
        "1.3.6.1.4.1.3808.1.1.3.3.5.1.1.8",
        "power, W",
    ),
];
const POE: &[Column] = &[
    col(
        "pethPsePortAdminEnable",
        "1.3.6.1.2.1.105.1.1.1.3",
        "1 true, 2 false",
    ),
    col(
        "pethPsePortDetectionStatus",
        "1.3.6.1.2.1.105.1.1.1.6",
        "1 disabled, 2 searching, 3 deliveringPower, 4 fault",
    ),
];

impl PduProfile {
    /// Every profile, in the order of the names above.
    pub const ALL: [PduProfile; 9] = [
        PduProfile::ApcRpdu,
        PduProfile::ApcRpdu2,
        PduProfile::ApcMasterSwitch,
        PduProfile::Raritan,
        PduProfile::Sentry3,
        PduProfile::Sentry4,
        PduProfile::Eaton,
        PduProfile::CyberPower,
        PduProfile::Poe,
    ];

    /// The name, as the inventory spells it (`apc-rpdu`).
    pub fn name(self) -> &'static str {
        match self {
            PduProfile::ApcRpdu => "apc-rpdu",
            PduProfile::ApcRpdu2 => "apc-rpdu2",
            PduProfile::ApcMasterSwitch => "apc-masterswitch",
            PduProfile::Raritan => "raritan",
            PduProfile::Sentry3 => "sentry3",
            PduProfile::Sentry4 => "sentry4",
            PduProfile::Eaton => "eaton",
            PduProfile::CyberPower => "cyberpower",
            PduProfile::Poe => "poe",
        }
    }

    /// The outlet-table columns to walk: the outlet state first, then the
    /// readings.
    pub fn columns(self) -> &'static [Column] {
        match self {
            PduProfile::ApcRpdu => APC_RPDU,
            PduProfile::ApcRpdu2 => APC_RPDU2,
            PduProfile::ApcMasterSwitch => APC_MASTERSWITCH,
            PduProfile::Raritan => RARITAN,
            PduProfile::Sentry3 => SENTRY3,
            PduProfile::Sentry4 => SENTRY4,
            PduProfile::Eaton => EATON,
            PduProfile::CyberPower => CYBERPOWER,
            PduProfile::Poe => POE,
        }
    }

    /// The walk roots of [`columns`](Self::columns), parsed.
    pub fn roots(self) -> impl Iterator<Item = (&'static str, Oid)> {
        self.columns().iter().map(|c| {
            let oid = c
                .oid
                .parse()
                .unwrap_or_else(|_| unreachable!("profile OIDs are valid"));
            (c.name, oid)
        })
    }
}

impl fmt::Display for PduProfile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The names of every profile, for error messages.
pub(crate) const PROFILE_NAMES: &str =
    "apc-rpdu, apc-rpdu2, apc-masterswitch, raritan, sentry3, sentry4, eaton, cyberpower or poe";

/// A name that is not a profile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown PDU profile {0:?} (expected {PROFILE_NAMES})")]
pub struct UnknownProfile(pub String);

impl FromStr for PduProfile {
    type Err = UnknownProfile;

    /// A profile by name, case-insensitive; also the names `snmux sim`
    /// gives its profiles (`raritan-px2`, `raritan-px3`, `eaton-epdu`).
    fn from_str(s: &str) -> Result<Self, UnknownProfile> {
        const ALIASES: [(&str, PduProfile); 3] = [
            ("raritan-px2", PduProfile::Raritan),
            ("raritan-px3", PduProfile::Raritan),
            ("eaton-epdu", PduProfile::Eaton),
        ];
        PduProfile::ALL
            .into_iter()
            .map(|p| (p.name(), p))
            .chain(ALIASES)
            .find(|(name, _)| name.eq_ignore_ascii_case(s))
            .map(|(_, p)| p)
            .ok_or_else(|| UnknownProfile(s.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_profile_parses_back_and_has_valid_distinct_roots() {
        for p in PduProfile::ALL {
            assert_eq!(p.name().parse::<PduProfile>(), Ok(p));
            let roots: Vec<_> = p.roots().collect();
            assert!(!roots.is_empty());
            for (i, (_, a)) in roots.iter().enumerate() {
                for (_, b) in &roots[i + 1..] {
                    assert!(!a.starts_with(b) && !b.starts_with(a), "{p}: {a} {b}");
                }
            }
        }
        assert_eq!("APC-RPDU".parse::<PduProfile>(), Ok(PduProfile::ApcRpdu));
        assert!("apc".parse::<PduProfile>().is_err());
        assert_eq!("raritan-px2".parse::<PduProfile>(), Ok(PduProfile::Raritan));
        assert_eq!("eaton-epdu".parse::<PduProfile>(), Ok(PduProfile::Eaton));
    }
}
