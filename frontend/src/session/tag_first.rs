//! Internally tagged JSON (`{"type": "hello", ...}`) read without serde's buffering, for
//! objects whose writer puts the tag first.
//!
//! serde's derived `Deserialize` for an internally tagged enum cannot know where the tag is,
//! so it parses the whole object into its `Content` tree and reads the variant again from that:
//! a second copy of every variant's code in the wasm and every message parsed twice. The
//! server's messages come from serde's derived `Serialize` (or the capture feed's hand-written
//! batch), which writes the tag first, so [`TagFirst`] reads the first key as the tag and hands
//! the rest of the object to the variant. It presents the object to an *externally* tagged
//! enum's visitor: serde's `remote` derive of the enum (its variants and fields checked by the
//! compiler against the real type) does the rest.

use std::fmt;

use serde::de::value::{MapAccessDeserializer, StrDeserializer};
use serde::de::{self, DeserializeSeed, EnumAccess, IgnoredAny, MapAccess, VariantAccess, Visitor};
use serde::Deserializer;

/// A deserializer for an object `{TAG: "variant", ...fields}`, to be read by an externally
/// tagged enum's derived `Deserialize` as that variant with those fields. A first key other
/// than `tag` is an error that says so.
pub struct TagFirst<D> {
    inner: D,
    tag: &'static str,
}

impl<D> TagFirst<D> {
    pub fn new(inner: D, tag: &'static str) -> Self {
        TagFirst { inner, tag }
    }
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for TagFirst<D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_map(TaggedObject {
            visitor,
            tag: self.tag,
        })
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes byte_buf
        option unit unit_struct newtype_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

struct TaggedObject<V> {
    visitor: V,
    tag: &'static str,
}

impl<'de, V: Visitor<'de>> Visitor<'de> for TaggedObject<V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "an object whose first field is \"{}\"", self.tag)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        if map.next_key_seed(TagKey(self.tag))?.is_none() {
            return Err(de::Error::missing_field(self.tag));
        }
        let variant: String = map.next_value()?;
        self.visitor.visit_enum(Variant {
            variant,
            fields: map,
        })
    }
}

/// The tag's key, which must come first.
struct TagKey(&'static str);

impl<'de> DeserializeSeed<'de> for TagKey {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl Visitor<'_> for TagKey {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "\"{}\" as the first field", self.0)
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<(), E> {
        if key == self.0 {
            Ok(())
        } else {
            Err(E::custom(format_args!(
                "expected \"{}\" as the first field, found `{key}`",
                self.0
            )))
        }
    }
}

/// The tag read, the object's other fields still to read.
struct Variant<A> {
    variant: String,
    fields: A,
}

impl<'de, A: MapAccess<'de>> EnumAccess<'de> for Variant<A> {
    type Error = A::Error;
    type Variant = Self;

    fn variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<(S::Value, Self), A::Error> {
        let variant = seed.deserialize(StrDeserializer::<A::Error>::new(&self.variant))?;
        Ok((variant, self))
    }
}

impl<'de, A: MapAccess<'de>> VariantAccess<'de> for Variant<A> {
    type Error = A::Error;

    /// A variant without fields: whatever else the object holds is ignored, as serde's
    /// internally tagged enums ignore it.
    fn unit_variant(mut self) -> Result<(), A::Error> {
        while self
            .fields
            .next_entry::<IgnoredAny, IgnoredAny>()?
            .is_some()
        {}
        Ok(())
    }

    /// A newtype variant's struct: its fields are the object's other fields.
    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        seed.deserialize(MapAccessDeserializer::new(self.fields))
    }

    fn tuple_variant<V: Visitor<'de>>(
        self,
        _len: usize,
        _visitor: V,
    ) -> Result<V::Value, A::Error> {
        Err(de::Error::custom(format_args!(
            "`{}` cannot be a tuple in an internally tagged object",
            self.variant
        )))
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        visitor.visit_map(self.fields)
    }
}
