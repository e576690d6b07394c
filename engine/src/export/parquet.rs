//! Parquet export (arrow writer, Snappy).
//!
//! Datasets: one `list<string>` column per TYPES modality (not null; a
//! modality with no value in a row is an empty list), `label` (string), and
//! the optional `pos_frac`/`neg_frac` (float64), `sampled_label` (string),
//! `relabelled` (bool). Graphs: the edge list as four string columns
//! `source`, `target`, `rel`, `sign`, as in the edge CSV.

use std::sync::Arc;

use arrow_array::builder::{BooleanBuilder, Float64Builder, ListBuilder, StringBuilder};
use arrow_array::{ArrayRef, RecordBatch};
use arrow_schema::{DataType, Field, Schema, SchemaRef};
use parquet::arrow::ArrowWriter;
use parquet::basic::Compression;
use parquet::file::properties::WriterProperties;

use super::rows::Columns;
use super::rows::dataset_columns::{LABEL, NEG_FRAC, POS_FRAC, RELABELLED, SAMPLED_LABEL};
use crate::util::Sink;
use crate::{Dataset, SignedGraph};

/// Rows per record batch.
const BATCH: usize = 16_384;

fn io_err(e: impl std::fmt::Display) -> std::io::Error {
    std::io::Error::other(format!("parquet: {e}"))
}

fn list_field(name: &str) -> Field {
    let item = Field::new("item", DataType::Utf8, true);
    Field::new(name, DataType::List(Arc::new(item)), false)
}

fn dataset_schema(ds: &Dataset, cols: Columns) -> SchemaRef {
    let mut fields: Vec<Field> = ds.modalities().iter().map(|m| list_field(m)).collect();
    fields.push(Field::new(LABEL, DataType::Utf8, false));
    if cols.fractions {
        fields.push(Field::new(POS_FRAC, DataType::Float64, false));
        fields.push(Field::new(NEG_FRAC, DataType::Float64, false));
    }
    if cols.clean_label {
        fields.push(Field::new(SAMPLED_LABEL, DataType::Utf8, false));
        fields.push(Field::new(RELABELLED, DataType::Boolean, false));
    }
    Arc::new(Schema::new(fields))
}

fn writer<'a>(w: Sink<'a>, schema: SchemaRef) -> std::io::Result<ArrowWriter<Sink<'a>>> {
    let props = WriterProperties::builder()
        .set_compression(Compression::SNAPPY)
        .build();
    ArrowWriter::try_new(w, schema, Some(props)).map_err(io_err)
}

fn dataset_batch(
    ds: &Dataset,
    rows: &[usize],
    cols: Columns,
    schema: &SchemaRef,
) -> std::io::Result<RecordBatch> {
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (m, field) in schema
        .fields()
        .iter()
        .take(ds.modalities().len())
        .enumerate()
    {
        let item = match field.data_type() {
            DataType::List(f) => f.clone(),
            _ => Arc::new(Field::new("item", DataType::Utf8, true)),
        };
        let mut b = ListBuilder::new(StringBuilder::new()).with_field(item);
        for &r in rows {
            for v in ds.row(r).values(m) {
                b.values().append_value(v);
            }
            b.append(true);
        }
        arrays.push(Arc::new(b.finish()));
    }
    let labels = ds.labels();
    let (sampled, emitted) = (ds.sampled_labels(), ds.emitted_labels());
    let mut label = StringBuilder::new();
    for &r in rows {
        label.append_value(&labels[emitted[r] as usize]);
    }
    arrays.push(Arc::new(label.finish()));
    if cols.fractions {
        let (mut p, mut n) = (Float64Builder::new(), Float64Builder::new());
        for &r in rows {
            let f = ds.row(r).fractions();
            p.append_value(f.pos);
            n.append_value(f.neg);
        }
        arrays.push(Arc::new(p.finish()));
        arrays.push(Arc::new(n.finish()));
    }
    if cols.clean_label {
        let (mut s, mut flag) = (StringBuilder::new(), BooleanBuilder::new());
        for &r in rows {
            s.append_value(&labels[sampled[r] as usize]);
            flag.append_value(sampled[r] != emitted[r]);
        }
        arrays.push(Arc::new(s.finish()));
        arrays.push(Arc::new(flag.finish()));
    }
    RecordBatch::try_new(schema.clone(), arrays).map_err(io_err)
}

/// Writes `rows` of `ds`; returns the number of rows written.
pub fn write_dataset(
    ds: &Dataset,
    rows: &[usize],
    cols: Columns,
    w: Sink<'_>,
) -> std::io::Result<u64> {
    let schema = dataset_schema(ds, cols);
    let mut out = writer(w, schema.clone())?;
    for chunk in rows.chunks(BATCH) {
        let batch = dataset_batch(ds, chunk, cols, &schema)?;
        out.write(&batch).map_err(io_err)?;
    }
    out.close().map_err(io_err)?;
    Ok(rows.len() as u64)
}

/// Writes the edge list; returns the number of edges written.
pub fn write_edges(g: &SignedGraph, w: Sink<'_>) -> std::io::Result<u64> {
    let names = ["source", "target", "rel", "sign"];
    let schema: SchemaRef = Arc::new(Schema::new(
        names
            .iter()
            .map(|n| Field::new(*n, DataType::Utf8, false))
            .collect::<Vec<_>>(),
    ));
    let mut out = writer(w, schema.clone())?;
    let mut n = 0u64;
    let mut rows = super::graph::edge_rows(g).peekable();
    while rows.peek().is_some() {
        let mut builders: Vec<StringBuilder> = (0..4).map(|_| StringBuilder::new()).collect();
        for rec in rows.by_ref().take(BATCH) {
            for (b, v) in builders.iter_mut().zip(&rec) {
                b.append_value(v);
            }
            n += 1;
        }
        let arrays: Vec<ArrayRef> = builders
            .iter_mut()
            .map(|b| Arc::new(b.finish()) as ArrayRef)
            .collect();
        let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(io_err)?;
        out.write(&batch).map_err(io_err)?;
    }
    out.close().map_err(io_err)?;
    Ok(n)
}
