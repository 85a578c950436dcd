//! Values: parameters in ([`ToValue`], `vals!`, [`Params`]) and columns out ([`FromValue`]).

use std::borrow::Cow;

/// A parameter or column value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// SQL NULL.
    Null,
    /// An integer (SQLite INTEGER; PostgreSQL BIGINT, INTEGER, SMALLINT or BOOLEAN).
    Int(i64),
    /// A floating-point number.
    Real(f64),
    /// Text.
    Text(String),
    /// Bytes (SQLite BLOB; PostgreSQL BYTEA).
    Blob(Vec<u8>),
}

macro_rules! value_from_int {
    ($($t:ty),*) => {$(
        impl From<$t> for Value {
            fn from(n: $t) -> Self {
                Self::Int(i64::from(n))
            }
        }
    )*};
}
value_from_int!(i64, i32, u32, u16, u8, bool);

impl From<f64> for Value {
    fn from(n: f64) -> Self {
        Self::Real(n)
    }
}

impl From<&str> for Value {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<String> for Value {
    fn from(s: String) -> Self {
        Self::Text(s)
    }
}

impl From<&String> for Value {
    fn from(s: &String) -> Self {
        Self::Text(s.clone())
    }
}

impl From<&[u8]> for Value {
    fn from(b: &[u8]) -> Self {
        Self::Blob(b.to_vec())
    }
}

impl From<Vec<u8>> for Value {
    fn from(b: Vec<u8>) -> Self {
        Self::Blob(b)
    }
}

impl<T: Into<Value>> From<Option<T>> for Value {
    fn from(v: Option<T>) -> Self {
        v.map_or(Self::Null, Into::into)
    }
}

/// A Rust value a statement takes as a parameter (by reference: nothing is moved).
pub trait ToValue {
    /// The parameter's value.
    fn to_value(&self) -> Value;
}

macro_rules! to_value_via_from {
    ($($t:ty),*) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::from(*self)
            }
        }
    )*};
}
to_value_via_from!(i64, i32, u32, u16, u8, bool, f64);

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_owned())
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }
}

impl ToValue for std::borrow::Cow<'_, str> {
    fn to_value(&self) -> Value {
        Value::Text(self.as_ref().to_owned())
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }
}

impl<const N: usize> ToValue for [u8; N] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }
}

/// Parameters for a statement, as rusqlite's `params!` takes them: `vals![a, &b, c]`, each
/// borrowed and converted with [`ToValue`].
#[macro_export]
macro_rules! vals {
    ($($v:expr),* $(,)?) => {
        &[$($crate::sql::ToValue::to_value(&$v)),*][..]
    };
}

impl Value {
    pub(super) fn kind(&self) -> &'static str {
        match self {
            Self::Null => "NULL",
            Self::Int(_) => "integer",
            Self::Real(_) => "real",
            Self::Text(_) => "text",
            Self::Blob(_) => "blob",
        }
    }
}

/// A Rust type a column converts into.
pub trait FromValue: Sized {
    /// The conversion; on a mismatch, what was expected and the value found.
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)>;
}

impl FromValue for Value {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        Ok(v)
    }
}

impl FromValue for i64 {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Int(n) => Ok(n),
            other => Err(("integer", other)),
        }
    }
}

macro_rules! from_value_int {
    ($($t:ty),*) => {$(
        impl FromValue for $t {
            fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
                match v {
                    Value::Int(n) => <$t>::try_from(n).map_err(|_| (stringify!($t), Value::Int(n))),
                    other => Err((stringify!($t), other)),
                }
            }
        }
    )*};
}
from_value_int!(i32, u32, u64, usize);

impl FromValue for bool {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Int(n) => Ok(n != 0),
            other => Err(("boolean", other)),
        }
    }
}

impl FromValue for f64 {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Real(n) => Ok(n),
            #[allow(clippy::cast_precision_loss)]
            Value::Int(n) => Ok(n as f64),
            other => Err(("real", other)),
        }
    }
}

impl FromValue for String {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Text(s) => Ok(s),
            other => Err(("text", other)),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Blob(b) => Ok(b),
            other => Err(("blob", other)),
        }
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(v: Value) -> Result<Self, (&'static str, Value)> {
        match v {
            Value::Null => Ok(None),
            v => T::from_value(v).map(Some),
        }
    }
}

/// A statement's parameters: a slice of [`Value`]s (`vals![…]`) or an array of values.
pub trait Params<'a> {
    /// The values, in order.
    fn values(self) -> Cow<'a, [Value]>;
}

impl<'a> Params<'a> for &'a [Value] {
    fn values(self) -> Cow<'a, [Value]> {
        Cow::Borrowed(self)
    }
}

impl<'a, const N: usize> Params<'a> for &'a [Value; N] {
    fn values(self) -> Cow<'a, [Value]> {
        Cow::Borrowed(self.as_slice())
    }
}

impl Params<'_> for [Value; 0] {
    fn values(self) -> Cow<'static, [Value]> {
        Cow::Borrowed(&[])
    }
}

macro_rules! params_for_arrays {
    ($($n:literal)*) => {$(
        impl<T: ToValue> Params<'_> for [T; $n] {
            fn values(self) -> Cow<'static, [Value]> {
                Cow::Owned(self.iter().map(ToValue::to_value).collect())
            }
        }
    )*};
}
params_for_arrays!(1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16);
