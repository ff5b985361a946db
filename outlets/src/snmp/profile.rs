use serde::{Deserialize, Serialize};

use crate::OutletState;
use crate::snmp::OidTemplate;

/// How a PDU's MIB switches, reports and measures its outlets: data, one
/// per vendor, not code.
///
/// The built-in profiles ([`Profile::builtin`]) follow the vendors' MIBs
/// (APC PowerNet-MIB, Raritan PDU2-MIB, ServerTech Sentry3-MIB and
/// Sentry4-MIB, EATON-EPDU-MIB, CyberPower CPS-MIB, RFC 3621
/// POWER-ETHERNET-MIB). A custom profile is the same structure in a
/// configuration file:
///
/// ```yaml
/// index_parts: 1
/// control: { oid: "1.3.6.1.4.1.99999.1.1.*", on: 1, off: 0, cycle: 2 }
/// state: { oid: "1.3.6.1.4.1.99999.1.2.*", on: [1], off: [0], pending: [3] }
/// readings:
///   current: { oid: "1.3.6.1.4.1.99999.1.3.*", scale: 0.1 }
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The profile's name (`apc-rpdu`); for custom profiles, the key they
    /// are defined under.
    #[serde(default)]
    pub name: String,
    /// The number of sub-identifiers of an outlet's index: 1 for `N`, 2
    /// for `pdu.N` or `strapping.N` or `group.port`, 3 for
    /// `tower.infeed.N`. Default 1.
    #[serde(default = "one")]
    pub index_parts: usize,
    /// What an index with fewer parts is prefixed with: Raritan's `1`
    /// (pduId 1), Sentry's `1.1` (tower 1, infeed 1), Eaton's `0` (no
    /// daisy chain). Default: none (all parts must be given).
    #[serde(default)]
    pub index_prefix: Vec<u32>,
    /// How the outlet is switched.
    pub control: Control,
    /// How its state is read; `None`: it cannot be (a switch is then not
    /// confirmed).
    #[serde(default)]
    pub state: Option<StateMap>,
    /// What it measures.
    #[serde(default)]
    pub readings: Readings,
    /// An object whose value changes every time the outlet switches
    /// (Raritan `outletSwitchingTimeStamp`). A reboot whose off phase falls
    /// between two reads of the state is still seen by it.
    #[serde(default)]
    pub switched_at: Option<OidTemplate>,
    /// An object that says whether a command is pending on the outlet (APC
    /// `sPDUOutletPending`, `rPDUOutletStatusCommandPending`). While it is,
    /// a reboot is under way, not done.
    #[serde(default)]
    pub command_pending: Option<PendingMap>,
}

fn one() -> usize {
    1
}

/// How an outlet is switched: one writable object written with a value per
/// command, or an object per command (Eaton, where the value written is a
/// delay in seconds and 0 means now).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Control {
    /// The control object, for commands given as plain values.
    #[serde(default)]
    pub oid: Option<OidTemplate>,
    /// Switch on.
    pub on: Command,
    /// Switch off.
    pub off: Command,
    /// Reboot (off, the PDU's delay, on), if the PDU has it.
    #[serde(default)]
    pub cycle: Option<Command>,
}

/// One command: an INTEGER value written to [`Control::oid`], or written to
/// an object of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Command {
    /// The value, written to the control object.
    Value(i32),
    /// The value, written to `oid`.
    Object {
        /// The object.
        oid: OidTemplate,
        /// The value (Eaton: the delay in seconds, 0 = now).
        value: i32,
    },
}

/// The object an outlet's state is read from and what its values mean;
/// values in none of the lists read as [`OutletState::Unknown`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateMap {
    /// The state object.
    pub oid: OidTemplate,
    /// Values that mean on.
    pub on: Vec<i64>,
    /// Values that mean off.
    pub off: Vec<i64>,
    /// Values that mean a command is pending.
    #[serde(default)]
    pub pending: Vec<i64>,
}

impl StateMap {
    /// The state a value means.
    pub fn state(&self, value: i64) -> OutletState {
        if self.on.contains(&value) {
            OutletState::On
        } else if self.off.contains(&value) {
            OutletState::Off
        } else if self.pending.contains(&value) {
            OutletState::Pending
        } else {
            OutletState::Unknown
        }
    }
}

/// The object that says a command is pending on an outlet, and the values
/// that mean it is.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingMap {
    /// The object.
    pub oid: OidTemplate,
    /// Values that mean a command is pending (APC: `commandPending(1)`).
    pub pending: Vec<i64>,
}

/// The measurement objects of an outlet; each is optional.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Readings {
    /// RMS voltage, scaled to V.
    #[serde(default)]
    pub voltage: Option<Measurement>,
    /// RMS current, scaled to A.
    #[serde(default)]
    pub current: Option<Measurement>,
    /// Active power, scaled to W.
    #[serde(default)]
    pub active_power: Option<Measurement>,
}

impl Readings {
    /// Whether the profile measures anything.
    pub fn is_empty(&self) -> bool {
        self.voltage.is_none() && self.current.is_none() && self.active_power.is_none()
    }
}

/// One measurement object: the value read × `scale` ÷ 10^digits, where
/// digits is read from `decimal_digits` when given (Raritan's
/// `outletSensorDecimalDigits`). A negative value means "not measured"
/// (Sentry, Eaton, APC report −1) and reads as `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Measurement {
    /// The value's object.
    pub oid: OidTemplate,
    /// The factor to the SI unit: 0.1 for tenths, 0.001 for milli-units.
    /// Default 1.
    #[serde(default = "unit")]
    pub scale: f64,
    /// The object that holds the number of decimal digits of the value.
    #[serde(default)]
    pub decimal_digits: Option<OidTemplate>,
}

fn unit() -> f64 {
    1.0
}

impl Profile {
    /// The names of the built-in profiles, as [`Profile::builtin`] takes
    /// them.
    pub const BUILTIN: [&'static str; 9] = [
        "raritan-px2",
        "apc-masterswitch",
        "apc-rpdu",
        "apc-rpdu2",
        "sentry3",
        "sentry4",
        "eaton-epdu",
        "cyberpower",
        "poe",
    ];

    /// A built-in profile by name (see [`Profile::BUILTIN`]; also
    /// `raritan`, `raritan-px3`, `rfc3621`):
    ///
    /// | name | index | control | on / off / cycle | state |
    /// |---|---|---|---|---|
    /// | `raritan-px2` | pdu.outlet (`N` = `1.N`) | `13742.6.4.1.2.1.2.P.N` | 1 / 0 / 2 | `….3.P.N`: 7 on, 8 off |
    /// | `apc-masterswitch` | outlet | `318.1.1.4.4.2.1.3.N` | 1 / 2 / 3 | same: 1 on, 2 off |
    /// | `apc-rpdu` | outlet | `318.1.1.12.3.3.1.1.4.N` | 1 / 2 / 3 | `…12.3.5.1.1.4.N`: 1 on, 2 off |
    /// | `apc-rpdu2` | outlet | `318.1.1.26.9.2.4.1.5.N` | 1 / 2 / 3 | `…26.9.2.3.1.5.N`: **2 on, 1 off** |
    /// | `sentry3` | tower.infeed.outlet (`N` = `1.1.N`) | `1718.3.2.3.1.11.T.I.N` | 1 / 2 / 3 | `….5.T.I.N`: 1 on, 0 off, 2-3 pending |
    /// | `sentry4` | unit.cord.outlet (`N` = `1.1.N`) | `1718.4.1.8.5.1.2.U.C.N` | 1 / 2 / 3 | `1718.4.1.8.3.1.1.U.C.N`: 1 on, 2 off |
    /// | `eaton-epdu` | strapping.outlet (`N` = `0.N`) | on `534.6.6.7.6.6.1.4.S.N`, off `.3`, reboot `.5`, each written 0 (no delay) | | `….6.6.1.2.S.N`: 1 on, 0 off, 2-3 pending |
    /// | `cyberpower` | outlet | `3808.1.1.3.3.3.1.1.4.N` | 1 / 2 / 3 | `…3.3.5.1.1.4.N`: 1 on, 2 off |
    /// | `poe` | group.port (`N` = `1.N`) | `1.3.6.1.2.1.105.1.1.1.3.G.P` | 1 / 2 / – | same: 1 on, 2 off |
    ///
    /// (Vendor OIDs under `1.3.6.1.4.1.`.) Readings: Raritan current,
    /// voltage and active power (sensor types 1, 4, 5) scaled by
    /// `outletSensorDecimalDigits`; APC rPDU load (0.1 A); rPDU2 current
    /// (0.1 A), power (W) and phase 1 voltage (V); Sentry3 and Sentry4
    /// current (0.01 A), voltage (0.1 V), power (W); Eaton voltage (mV),
    /// current (mA), power (W); CyberPower load (0.1 A), power (W) and the
    /// input voltage (0.1 V). APC MasterSwitch and PoE ports measure
    /// nothing.
    ///
    /// Reboots are confirmed by the state, and also by Raritan's
    /// `outletSwitchingTimeStamp` (`….4.P.N`, [`Profile::switched_at`]) and
    /// APC's command-pending objects (MasterSwitch `sPDUOutletPending`
    /// `318.1.1.4.4.2.1.2.N`, rPDU `rPDUOutletStatusCommandPending`
    /// `…12.3.5.1.1.5.N`, [`Profile::command_pending`]).
    pub fn builtin(name: &str) -> Option<Profile> {
        let t = |s: &str| -> OidTemplate { s.parse().expect("built-in templates are valid") };
        let value = |oid: &str, on: i32, off: i32, cycle: Option<i32>| Control {
            oid: Some(t(oid)),
            on: Command::Value(on),
            off: Command::Value(off),
            cycle: cycle.map(Command::Value),
        };
        let state = |oid: &str, on: &[i64], off: &[i64], pending: &[i64]| {
            Some(StateMap {
                oid: t(oid),
                on: on.to_vec(),
                off: off.to_vec(),
                pending: pending.to_vec(),
            })
        };
        let m = |oid: &str, scale: f64| {
            Some(Measurement {
                oid: t(oid),
                scale,
                decimal_digits: None,
            })
        };
        let (canonical, index_parts, index_prefix, control, state, readings) = match name {
            "raritan-px2" | "raritan-px3" | "raritan" => {
                let sensor = |ty: u32| {
                    Some(Measurement {
                        oid: t(&format!("1.3.6.1.4.1.13742.6.5.4.3.1.4.$1.$2.{ty}")),
                        scale: 1.0,
                        decimal_digits: Some(t(&format!(
                            "1.3.6.1.4.1.13742.6.3.5.4.1.7.$1.$2.{ty}"
                        ))),
                    })
                };
                (
                    "raritan-px2",
                    2,
                    vec![1],
                    value("1.3.6.1.4.1.13742.6.4.1.2.1.2.*", 1, 0, Some(2)),
                    state("1.3.6.1.4.1.13742.6.4.1.2.1.3.*", &[7], &[8], &[]),
                    Readings {
                        current: sensor(1),
                        voltage: sensor(4),
                        active_power: sensor(5),
                    },
                )
            }
            "apc-masterswitch" => (
                "apc-masterswitch",
                1,
                vec![],
                value("1.3.6.1.4.1.318.1.1.4.4.2.1.3.*", 1, 2, Some(3)),
                state("1.3.6.1.4.1.318.1.1.4.4.2.1.3.*", &[1], &[2], &[]),
                Readings::default(),
            ),
            "apc-rpdu" => (
                "apc-rpdu",
                1,
                vec![],
                value("1.3.6.1.4.1.318.1.1.12.3.3.1.1.4.*", 1, 2, Some(3)),
                state("1.3.6.1.4.1.318.1.1.12.3.5.1.1.4.*", &[1], &[2], &[]),
                Readings {
                    current: m("1.3.6.1.4.1.318.1.1.12.3.5.1.1.7.*", 0.1),
                    ..Readings::default()
                },
            ),
            "apc-rpdu2" => (
                "apc-rpdu2",
                1,
                vec![],
                value("1.3.6.1.4.1.318.1.1.26.9.2.4.1.5.*", 1, 2, Some(3)),
                // rPDU2OutletSwitchedStatusState reads off(1), on(2).
                state("1.3.6.1.4.1.318.1.1.26.9.2.3.1.5.*", &[2], &[1], &[]),
                Readings {
                    current: m("1.3.6.1.4.1.318.1.1.26.9.4.3.1.6.*", 0.1),
                    active_power: m("1.3.6.1.4.1.318.1.1.26.9.4.3.1.7.*", 1.0),
                    // rPDU2PhaseStatusVoltage.1: the outlet's phase on a
                    // single-phase PDU.
                    voltage: m("1.3.6.1.4.1.318.1.1.26.6.3.1.6.1", 1.0),
                },
            ),
            "sentry3" => (
                "sentry3",
                3,
                vec![1, 1],
                value("1.3.6.1.4.1.1718.3.2.3.1.11.*", 1, 2, Some(3)),
                // outletStatus: off(0), on(1), offWait(2), onWait(3),
                // offError(4), onError(5), …, offFuse(8), onFuse(9).
                state("1.3.6.1.4.1.1718.3.2.3.1.5.*", &[1], &[0], &[2, 3]),
                Readings {
                    current: m("1.3.6.1.4.1.1718.3.2.3.1.7.*", 0.01),
                    voltage: m("1.3.6.1.4.1.1718.3.2.3.1.13.*", 0.1),
                    active_power: m("1.3.6.1.4.1.1718.3.2.3.1.14.*", 1.0),
                },
            ),
            "sentry4" => (
                "sentry4",
                3,
                vec![1, 1],
                value("1.3.6.1.4.1.1718.4.1.8.5.1.2.*", 1, 2, Some(3)),
                state("1.3.6.1.4.1.1718.4.1.8.3.1.1.*", &[1], &[2], &[]),
                Readings {
                    current: m("1.3.6.1.4.1.1718.4.1.8.3.1.3.*", 0.01),
                    voltage: m("1.3.6.1.4.1.1718.4.1.8.3.1.6.*", 0.1),
                    active_power: m("1.3.6.1.4.1.1718.4.1.8.3.1.7.*", 1.0),
                },
            ),
            "eaton-epdu" => {
                let command = |column: u32| Command::Object {
                    oid: t(&format!("1.3.6.1.4.1.534.6.6.7.6.6.1.{column}.*")),
                    value: 0,
                };
                (
                    "eaton-epdu",
                    2,
                    vec![0],
                    Control {
                        oid: None,
                        on: command(4),
                        off: command(3),
                        cycle: Some(command(5)),
                    },
                    state("1.3.6.1.4.1.534.6.6.7.6.6.1.2.*", &[1], &[0], &[2, 3]),
                    Readings {
                        voltage: m("1.3.6.1.4.1.534.6.6.7.6.3.1.2.*", 0.001),
                        current: m("1.3.6.1.4.1.534.6.6.7.6.4.1.3.*", 0.001),
                        active_power: m("1.3.6.1.4.1.534.6.6.7.6.5.1.3.*", 1.0),
                    },
                )
            }
            "cyberpower" => (
                "cyberpower",
                1,
                vec![],
                value("1.3.6.1.4.1.3808.1.1.3.3.3.1.1.4.*", 1, 2, Some(3)),
                state("1.3.6.1.4.1.3808.1.1.3.3.5.1.1.4.*", &[1], &[2], &[]),
                Readings {
                    current: m("1.3.6.1.4.1.3808.1.1.3.3.5.1.1.7.*", 0.1),
                    active_power: m("1.3.6.1.4.1.3808.1.1.3.3.5.1.1.8.*", 1.0),
                    voltage: m("1.3.6.1.4.1.3808.1.1.3.5.7.0", 0.1),
                },
            ),
            "poe" | "rfc3621" => (
                "poe",
                2,
                vec![1],
                value("1.3.6.1.2.1.105.1.1.1.3.*", 1, 2, None),
                state("1.3.6.1.2.1.105.1.1.1.3.*", &[1], &[2], &[]),
                Readings::default(),
            ),
            _ => return None,
        };
        // What shows a reboot happened besides the state (PDU2-MIB
        // outletSwitchingTimeStamp; PowerNet-MIB commandPending(1)).
        let pending = |oid: &str| {
            Some(PendingMap {
                oid: t(oid),
                pending: vec![1],
            })
        };
        let (switched_at, command_pending) = match canonical {
            "raritan-px2" => (Some(t("1.3.6.1.4.1.13742.6.4.1.2.1.4.*")), None),
            "apc-masterswitch" => (None, pending("1.3.6.1.4.1.318.1.1.4.4.2.1.2.*")),
            "apc-rpdu" => (None, pending("1.3.6.1.4.1.318.1.1.12.3.5.1.1.5.*")),
            _ => (None, None),
        };
        Some(Profile {
            name: canonical.to_owned(),
            index_parts,
            index_prefix,
            control,
            state,
            readings,
            switched_at,
            command_pending,
        })
    }

    /// A profile for one writable INTEGER per outlet, `oid.N`, written 1
    /// for on and 0 for off and read back from the same object: what
    /// Jumpstarter's `SNMPServer` does with an `oid` that is no built-in
    /// profile's.
    pub fn single_object(oid: &snmux_engine::Oid) -> Profile {
        let template = OidTemplate::indexed(oid);
        Profile {
            name: format!("{oid}.*"),
            index_parts: 1,
            index_prefix: Vec::new(),
            control: Control {
                oid: Some(template.clone()),
                on: Command::Value(1),
                off: Command::Value(0),
                cycle: None,
            },
            state: Some(StateMap {
                oid: template,
                on: vec![1],
                off: vec![0],
                pending: Vec::new(),
            }),
            readings: Readings::default(),
            switched_at: None,
            command_pending: None,
        }
    }

    /// Checks what serde cannot: commands given as plain values need
    /// [`Control::oid`]; templates may not use more index parts than
    /// [`Profile::index_parts`]; the prefix is shorter than the index.
    ///
    /// # Errors
    ///
    /// What is wrong, in words.
    pub fn validate(&self) -> Result<(), String> {
        if self.index_parts == 0 {
            return Err("index_parts must be at least 1".into());
        }
        if self.index_prefix.len() >= self.index_parts {
            return Err("index_prefix must be shorter than index_parts".into());
        }
        let commands = [
            Some(&self.control.on),
            Some(&self.control.off),
            self.control.cycle.as_ref(),
        ];
        let mut templates: Vec<&OidTemplate> = self.control.oid.iter().collect();
        for command in commands.into_iter().flatten() {
            match command {
                Command::Value(_) if self.control.oid.is_none() => {
                    return Err("control: a command given as a value needs control.oid".into());
                }
                Command::Value(_) => {}
                Command::Object { oid, .. } => templates.push(oid),
            }
        }
        if let Some(state) = &self.state {
            templates.push(&state.oid);
        }
        templates.extend(&self.switched_at);
        if let Some(pending) = &self.command_pending {
            templates.push(&pending.oid);
        }
        for m in [
            &self.readings.voltage,
            &self.readings.current,
            &self.readings.active_power,
        ]
        .into_iter()
        .flatten()
        {
            templates.push(&m.oid);
            templates.extend(&m.decimal_digits);
        }
        for template in templates {
            if template.index_parts_used() > self.index_parts {
                return Err(format!(
                    "{template} uses more index parts than index_parts ({})",
                    self.index_parts
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_is_valid_and_named() {
        for name in Profile::BUILTIN {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(p.name, name);
            p.validate().unwrap();
        }
        assert_eq!(Profile::builtin("raritan").unwrap().name, "raritan-px2");
        assert!(Profile::builtin("nope").is_none());
    }

    #[test]
    fn rpdu2_reads_inverted() {
        let state = Profile::builtin("apc-rpdu2").unwrap().state.unwrap();
        assert_eq!(state.state(2), OutletState::On);
        assert_eq!(state.state(1), OutletState::Off);
        assert_eq!(state.state(4), OutletState::Unknown);
    }

    #[test]
    fn custom_profile_from_yaml() {
        let p: Profile = serde_yaml::from_str(
            r#"
index_parts: 2
control: { oid: "1.3.6.1.4.1.99999.1.1.*", on: 1, off: 0 }
state: { oid: "1.3.6.1.4.1.99999.1.2.$1.$2", on: [1], off: [0], pending: [3] }
readings:
  current: { oid: "1.3.6.1.4.1.99999.1.3.*", scale: 0.1 }
"#,
        )
        .unwrap();
        p.validate().unwrap();
        assert_eq!(p.control.on, Command::Value(1));
        assert_eq!(p.state.unwrap().state(3), OutletState::Pending);

        let eaton_like: Profile = serde_yaml::from_str(
            r#"
control:
  on: { oid: "1.3.6.1.4.1.99999.4.*", value: 0 }
  off: { oid: "1.3.6.1.4.1.99999.3.*", value: 0 }
"#,
        )
        .unwrap();
        eaton_like.validate().unwrap();

        let no_oid: Profile = serde_yaml::from_str("control: { on: 1, off: 0 }").unwrap();
        assert!(no_oid.validate().is_err());
        let too_many: Profile =
            serde_yaml::from_str(r#"control: { oid: "1.3.6.$2", on: 1, off: 0 }"#).unwrap();
        assert!(too_many.validate().is_err());
        assert!(
            serde_yaml::from_str::<Profile>("control: { oid: \"1.3\", on: 1, off: 0, typo: 1 }")
                .is_err()
        );
    }
}
