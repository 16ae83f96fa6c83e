//! Reading `array $options` values the same way for every class: errors name
//! the option as the caller wrote it (`options['ttl']`), integers follow PHP's
//! numeric-string rules, and `0` (or null) means "the default", as for INI.

use crate::error::{printable, Error, Result};

/// A value from the PHP options array, already detached from the engine.
#[derive(Debug, Clone, PartialEq)]
pub enum OptionValue {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Vec<u8>),
    List(Vec<OptionValue>),
    /// Anything else (object, resource...), with its PHP type name.
    Other(&'static str),
}

impl OptionValue {
    pub fn type_name(&self) -> &'static str {
        match self {
            OptionValue::Null => "null",
            OptionValue::Bool(_) => "bool",
            OptionValue::Int(_) => "int",
            OptionValue::Float(_) => "float",
            OptionValue::Str(_) => "string",
            OptionValue::List(_) => "array",
            OptionValue::Other(name) => name,
        }
    }
}

/// `options['name']`, safe to show whatever the name contains.
pub fn option_argument(name: &str) -> String {
    format!("options['{}']", printable(name.as_bytes()))
}

/// The error for an option this class does not know.
pub fn unknown_option(arg: String, known: &[&str]) -> Error {
    Error::invalid(
        arg,
        format!("unknown option; known options are {}", known.join(", ")),
    )
}

/// An integer argument within `min..=max` (`unit` is appended to the
/// bounds in the message, e.g. " seconds").
pub fn int_in_range(argument: &str, n: i64, min: i64, max: i64, unit: &str) -> Result<u64> {
    if n < min || n > max {
        return Err(Error::invalid(
            argument,
            format!("must be between {min} and {max}{unit}, got {n}"),
        ));
    }
    Ok(n as u64)
}

/// An integer option within `min..=max`; null or 0 give `default`.
pub fn int_option(arg: &str, value: &OptionValue, min: u64, max: u64, default: u64) -> Result<u64> {
    let n: i64 = match value {
        OptionValue::Null => return Ok(default),
        OptionValue::Int(n) => *n,
        OptionValue::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => *f as i64,
        OptionValue::Str(bytes) => {
            let text = std::str::from_utf8(bytes).unwrap_or("").trim();
            text.parse::<i64>().map_err(|_| {
                Error::invalid(
                    arg,
                    format!("must be an integer, got '{}'", printable(bytes)),
                )
            })?
        }
        other => {
            return Err(Error::invalid(
                arg,
                format!("must be an integer, {} given", other.type_name()),
            ))
        }
    };
    if n == 0 {
        return Ok(default);
    }
    if n < min as i64 || n > max as i64 {
        return Err(Error::invalid(
            arg,
            format!("must be between {min} and {max} (0 for the default), got {n}"),
        ));
    }
    Ok(n as u64)
}

/// A finite number within `min..=max`; null gives `default`. Unlike the
/// integer options, 0 is taken literally (for a multiplier it means "off").
pub fn float_option(
    arg: &str,
    value: &OptionValue,
    min: f64,
    max: f64,
    default: f64,
) -> Result<f64> {
    let x = match value {
        OptionValue::Null => return Ok(default),
        OptionValue::Int(n) => *n as f64,
        OptionValue::Float(f) => *f,
        OptionValue::Str(bytes) => std::str::from_utf8(bytes)
            .ok()
            .and_then(|t| t.trim().parse::<f64>().ok())
            .ok_or_else(|| {
                Error::invalid(arg, format!("must be a number, got '{}'", printable(bytes)))
            })?,
        other => {
            return Err(Error::invalid(
                arg,
                format!("must be a number, {} given", other.type_name()),
            ))
        }
    };
    if !x.is_finite() || x < min || x > max {
        return Err(Error::invalid(
            arg,
            format!("must be between {min} and {max}, got {x}"),
        ));
    }
    Ok(x)
}

/// A string option from a fixed set of choices; null or "" give `default`.
pub fn choice_option<'a>(
    arg: &str,
    value: &OptionValue,
    choices: &[&'a str],
    default: &'a str,
) -> Result<&'a str> {
    let text = match value {
        OptionValue::Null => return Ok(default),
        OptionValue::Str(bytes) if bytes.is_empty() => return Ok(default),
        OptionValue::Str(bytes) => bytes.as_slice(),
        other => {
            return Err(Error::invalid(
                arg,
                format!("must be a string, {} given", other.type_name()),
            ))
        }
    };
    choices
        .iter()
        .find(|c| c.as_bytes() == text)
        .copied()
        .ok_or_else(|| {
            Error::invalid(
                arg,
                format!(
                    "must be one of {}, got '{}'",
                    choices.join(", "),
                    printable(text)
                ),
            )
        })
}
