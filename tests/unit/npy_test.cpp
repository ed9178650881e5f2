// .npy round trips and clear errors for files that are not .npy or whose header lies
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "core/npy.h"
#include "tandem/error.h"

using namespace tandem;

TEST(Npy, RoundTripKeepsShapeAndValues) {
  std::string path = ::testing::TempDir() + "/roundtrip.npy";
  Tensor t = Tensor::from<float>({2, 3}, {1, 2, 3, 4, 5, -6.5f});
  write_npy(path, t);
  Tensor back = read_npy(path);
  EXPECT_EQ(back.shape(), t.shape());
  for (int i = 0; i < 6; ++i) EXPECT_EQ(back.data<float>()[i], t.data<float>()[i]);
  std::remove(path.c_str());
}

TEST(Npy, OneDimensionalAndScalar) {
  std::string path = ::testing::TempDir() + "/vector.npy";
  write_npy(path, Tensor::from<int64_t>({3}, {7, 8, 9}));
  Tensor back = read_npy(path);
  EXPECT_EQ(back.shape(), Shape({3}));
  EXPECT_EQ(back.data<int64_t>()[2], 9);
  std::remove(path.c_str());
}

TEST(Npy, GarbageAndTruncatedFilesAreErrors) {
  std::string path = ::testing::TempDir() + "/garbage.npy";
  std::ofstream(path) << "this is not numpy";
  EXPECT_THROW(read_npy(path), Error);
  write_npy(path, Tensor::from<float>({4}, {1, 2, 3, 4}));
  std::string bytes;
  { std::ifstream in(path, std::ios::binary); bytes.assign(std::istreambuf_iterator<char>(in), {}); }
  std::ofstream(path, std::ios::binary) << bytes.substr(0, bytes.size() - 3);
  EXPECT_THROW(read_npy(path), Error);
  EXPECT_THROW(read_npy(::testing::TempDir() + "/missing.npy"), Error);
  std::remove(path.c_str());
}

// A header written by hand around `data`: version 1.0, padded to 64 bytes.
static void write_with_header(const std::string& path, const std::string& dict, const std::string& data) {
  std::string header = dict;
  while ((10 + header.size() + 1) % 64) header += ' ';
  header += '\n';
  std::ofstream out(path, std::ios::binary);
  out << "\x93NUMPY" << '\x01' << '\x00' << static_cast<char>(header.size() % 256)
      << static_cast<char>(header.size() / 256) << header << data;
}

static void expect_invalid(const std::string& path, const std::string& message) {
  try {
    read_npy(path);
    ADD_FAILURE() << "no error for " << message;
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::InvalidInput);
    EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
  }
}

TEST(Npy, CorruptShapesAreErrorsBeforeAnyAllocation) {
  std::string path = ::testing::TempDir() + "/shapes.npy";
  std::string data(16, '\0');  // four float32 zeros
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", data);
  EXPECT_EQ(read_npy(path).shape(), (Shape{2, 2}));
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (4,), }", data);
  EXPECT_EQ(read_npy(path).shape(), (Shape{4}));
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (-1, 4), }", data);
  expect_invalid(path, "malformed .npy shape");
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (2, x), }", data);
  expect_invalid(path, "malformed .npy shape");
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000, 1000000, 32, 32), }", data);
  expect_invalid(path, "the file holds 16");
  write_with_header(path, "{'descr': '<f4', 'fortran_order': False, 'shape': (999999999999, 999999999999, 99999), }",
                    data);
  expect_invalid(path, "too large");
  std::remove(path.c_str());
}
